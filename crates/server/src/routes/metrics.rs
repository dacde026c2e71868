//! `GET /metrics`: the sizes of the transfer queue and the webhook outbox in Prometheus's text
//! format, so that a transfer or webhook that keeps failing raises an alert rather than waiting
//! for someone to read a file's metadata. Counts only: nothing in it names a file or an app.

use crate::AppState;
use crate::error::ApiResult;
use crate::state::QueueCounts;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::fmt::Write as _;

pub(super) async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let counts = state.state().queue_counts().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render(&counts),
    ))
}

/// The exposition text of `counts` (one gauge per number, the queue named by a label).
fn render(c: &QueueCounts) -> String {
    let mut out = String::new();
    for (name, help, values) in [
        (
            "skiff_transfers",
            "Files on their way to their final storage, and transfers given up (see the file's metadata).",
            [c.transfers_pending, c.transfers_failed],
        ),
        (
            "skiff_webhooks",
            "Webhooks waiting to be delivered, and webhooks given up.",
            [c.webhooks_pending, c.webhooks_failed],
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for (state, n) in ["pending", "failed"].iter().zip(values) {
            let _ = writeln!(out, "{name}{{state=\"{state}\"}} {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let text = render(&QueueCounts {
            transfers_pending: 2,
            transfers_failed: 1,
            webhooks_pending: 0,
            webhooks_failed: 3,
        });
        assert!(text.contains("# TYPE skiff_transfers gauge\n"));
        assert!(text.contains("skiff_transfers{state=\"pending\"} 2\n"));
        assert!(text.contains("skiff_transfers{state=\"failed\"} 1\n"));
        assert!(text.contains("skiff_webhooks{state=\"failed\"} 3\n"));
    }
}
