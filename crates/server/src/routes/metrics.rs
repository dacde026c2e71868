//! `GET /metrics`: the sizes of the transfer queue and the webhook outbox in Prometheus's text
//! format, so that a transfer or webhook that keeps failing raises an alert rather than waiting
//! for someone to read a file's metadata; and this instance's counters of the parts and chunks
//! it stored. Counts only: nothing in it names a file or an app.

use crate::AppState;
use crate::error::ApiResult;
use crate::received::ReceivedCounts;
use crate::state::QueueCounts;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write as _;

pub(super) async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let counts = state.state().queue_counts().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render(&counts, &state.received().counts()),
    ))
}

/// The gauges' label: a queue's entries waiting, and given up.
const STATE: (&str, [&str; 2]) = ("state", ["pending", "failed"]);
/// The counters' label: regular parts, and chunks of intelligent ones.
const KIND: (&str, [&str; 2]) = ("kind", ["part", "chunk"]);

/// The exposition text of `counts` (gauges) and of `received` (counters): each metric a family of
/// two values told apart by a label.
fn render(c: &QueueCounts, r: &ReceivedCounts) -> String {
    let families = [
        (
            "skiff_transfers",
            "Files on their way to their final storage, and transfers given up (see the file's metadata).",
            "gauge",
            STATE,
            [c.transfers_pending, c.transfers_failed],
        ),
        (
            "skiff_webhooks",
            "Webhooks waiting to be delivered, and webhooks given up.",
            "gauge",
            STATE,
            [c.webhooks_pending, c.webhooks_failed],
        ),
        (
            "skiff_received_total",
            "Parts and intelligent chunks this instance stored since it started.",
            "counter",
            KIND,
            [r.parts, r.chunks],
        ),
        (
            "skiff_received_bytes_total",
            "Bytes of the parts and chunks this instance stored since it started.",
            "counter",
            KIND,
            [r.part_bytes, r.chunk_bytes],
        ),
    ];
    let mut out = String::new();
    for (name, help, kind, (label, names), values) in families {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (value, n) in names.iter().zip(values) {
            let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let text = render(
            &QueueCounts {
                transfers_pending: 2,
                transfers_failed: 1,
                webhooks_pending: 0,
                webhooks_failed: 3,
            },
            &ReceivedCounts {
                parts: 1,
                part_bytes: 10,
                chunks: 2,
                chunk_bytes: 7,
            },
        );
        assert!(text.contains("# TYPE skiff_transfers gauge\n"));
        assert!(text.contains("skiff_transfers{state=\"pending\"} 2\n"));
        assert!(text.contains("skiff_transfers{state=\"failed\"} 1\n"));
        assert!(text.contains("skiff_webhooks{state=\"failed\"} 3\n"));
        assert!(text.contains("# TYPE skiff_received_bytes_total counter\n"));
        assert!(text.contains("skiff_received_total{kind=\"chunk\"} 2\n"));
        assert!(text.contains("skiff_received_bytes_total{kind=\"part\"} 10\n"));
    }
}
