//! Upload webhooks (docs/protocol.md §10): the `fp.upload` event, its `FS-Signature`, and delivery
//! from the persistent outbox with exponential backoff, so a receiver that is down for a while
//! gets every event once it is back.
//!
//! Skiff's extension: the upload tags travel in `text.upload_tags`.

use crate::AppState;
use crate::config::WebhookRetry;
use crate::state::WebhookJob;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde_json::{Map, Value, json};
use sha2::Sha256;
use skiff_protocol::wire::FileResponse;
use std::time::Duration;

/// The `fp.upload` event of a stored file (without `id`, which the outbox assigns).
pub fn upload_event(file: &FileResponse, client: &str, now_ms: i64) -> Value {
    json!({
        "action": "fp.upload",
        "timestamp": now_ms / 1000,
        "text": {
            "container": file.container,
            "url": file.url,
            "filename": file.filename,
            "client": client,
            "key": file.key,
            "type": file.mimetype,
            "status": file.status,
            "size": file.size,
            "handle": file.handle,
            "upload_tags": file.upload_tags,
        }
    })
}

/// The JSON body of a queued event: `id` first, then the event's fields.
pub fn body(job: &WebhookJob) -> String {
    let mut obj = Map::new();
    obj.insert("id".into(), json!(job.id));
    if let Value::Object(event) = &job.hook.event {
        for (k, v) in event {
            obj.insert(k.clone(), v.clone());
        }
    }
    Value::Object(obj).to_string()
}

/// `FS-Signature`: hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with the webhook secret.
pub fn signature(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// When to try again after `attempts` failures of an event queued at `created_at`, or `None`
/// to give up. Exponential from `base_ms`, capped at `max_ms`, with `jitter` (0..1) spreading
/// the delay by up to a fifth so receivers that come back are not hit by every event at once.
pub fn next_attempt(
    retry: &WebhookRetry,
    attempts: u32,
    created_at: i64,
    now: i64,
    jitter: f64,
) -> Option<i64> {
    let exp = retry.base_ms.saturating_mul(
        1u64.checked_shl(attempts.saturating_sub(1).min(40))
            .unwrap_or(u64::MAX),
    );
    let delay = exp.min(retry.max_ms);
    let delay = delay - (delay as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as u64;
    let at = now.saturating_add(delay as i64);
    (at - created_at <= retry.give_up_after_ms as i64).then_some(at)
}

/// How long a claimed batch stays hidden from other instances: one attempt's timeout (the
/// batch's attempts run at once) plus a margin for recording the outcomes. The lease is also how
/// long an event claimed by an instance that then crashed waits before anyone tries it again,
/// so the margin is kept short: recording an outcome is one small write.
pub fn lease_ms(retry: &WebhookRetry) -> i64 {
    i64::try_from(retry.timeout_ms)
        .unwrap_or(i64::MAX)
        .saturating_add(LEASE_MARGIN_MS)
}

/// Time allowed for recording a batch's outcomes after its attempts have timed out.
const LEASE_MARGIN_MS: i64 = 10_000;

/// Claims the due events and delivers each once; returns how many were delivered.
pub async fn deliver_due(state: &AppState, client: &reqwest::Client) -> usize {
    let now = state.now_ms();
    let lease = lease_ms(&state.config().webhook_retry);
    let jobs = match state.state().claim_due_webhooks(now, lease, 64).await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the webhook outbox");
            return 0;
        }
    };
    let results =
        futures_util::future::join_all(jobs.iter().map(|job| attempt(state, client, job))).await;
    results.into_iter().filter(|ok| *ok).count()
}

async fn attempt(state: &AppState, client: &reqwest::Client, job: &WebhookJob) -> bool {
    let body = body(job);
    let ts = (state.now_ms() / 1000).to_string();
    let mut req = client
        .post(&job.hook.url)
        .header("content-type", "application/json")
        .header("FS-Timestamp", &ts);
    if let Some(secret) = &job.hook.secret {
        req = req.header("FS-Signature", signature(secret, &ts, &body));
    }
    let outcome = match req.body(body).send().await {
        Ok(resp)
            if matches!(resp.status().as_u16(), 200 | 201 | 204) || resp.status().is_success() =>
        {
            Ok(())
        }
        Ok(resp) => Err(format!("HTTP {}", resp.status())),
        Err(e) => Err(e.to_string()),
    };
    match outcome {
        Ok(()) => {
            tracing::info!(id = job.id, url = %job.hook.url, "webhook delivered");
            if let Err(e) = state.state().webhook_delivered(job.id).await {
                tracing::error!(id = job.id, error = %e, "cannot mark webhook delivered");
            }
            true
        }
        Err(error) => {
            let attempts = job.attempts + 1;
            let jitter: f64 = rand::rng().random();
            let next = next_attempt(
                &state.config().webhook_retry,
                attempts,
                job.created_at,
                state.now_ms(),
                jitter,
            );
            match next {
                Some(at) => {
                    tracing::warn!(id = job.id, url = %job.hook.url, attempts, %error, retry_in_ms = at - state.now_ms(), "webhook failed; will retry")
                }
                None => {
                    tracing::error!(id = job.id, url = %job.hook.url, attempts, %error, "webhook failed; giving up")
                }
            }
            if let Err(e) = state
                .state()
                .webhook_failed(job.id, attempts, next, &error)
                .await
            {
                tracing::error!(id = job.id, error = %e, "cannot reschedule webhook");
            }
            false
        }
    }
}

/// Runs the delivery loop until the task is dropped: delivers what is due, then sleeps until
/// the next event is due, a new event is queued, or a second passes.
pub async fn run(state: AppState) {
    crate::fetch::ensure_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(
            state.config().webhook_retry.timeout_ms,
        ))
        .user_agent(concat!("skiff-server/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds");
    loop {
        deliver_due(&state, &client).await;
        let wait = match state.state().next_webhook_at().await {
            Ok(Some(at)) => (at - state.now_ms()).clamp(0, 1000) as u64,
            _ => 1000,
        };
        if wait == 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = state.webhook_wakeup() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_gives_up() {
        let r = WebhookRetry {
            base_ms: 1000,
            max_ms: 8000,
            give_up_after_ms: 60_000,
            timeout_ms: 1,
        };
        let delays: Vec<i64> = (1..=6)
            .map(|n| next_attempt(&r, n, 0, 0, 0.0).unwrap())
            .collect();
        assert_eq!(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(next_attempt(&r, 3, 0, 0, 1.0), Some(3200));
        assert_eq!(next_attempt(&r, 1, 0, 59_500, 0.0), None);
        assert_eq!(next_attempt(&r, 100, 0, 0, 0.0), Some(8000));
    }

    /// Two instances draining one outbox at once: each event reaches the receiver once.
    #[tokio::test]
    async fn two_instances_send_each_event_once() {
        use crate::state::{MemoryState, NewWebhook, StateStore, conformance};
        use std::sync::{Arc, Mutex};
        let seen = Arc::new(Mutex::new(Vec::<i64>::new()));
        let record = seen.clone();
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| async move {
                let event: Value = serde_json::from_str(&body).unwrap();
                record.lock().unwrap().push(event["id"].as_i64().unwrap());
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

        let outbox = Arc::new(MemoryState::new());
        let hooks: Vec<NewWebhook> = (0..20)
            .map(|n| NewWebhook {
                url: url.clone(),
                ..conformance::hook(n)
            })
            .collect();
        outbox
            .insert_file(&conformance::file("h"), &hooks, 1000)
            .await
            .unwrap();
        let instance = || {
            AppState::new(
                crate::config::Config::default(),
                Arc::new(crate::storage::MemoryStorage::new()),
                outbox.clone(),
                Arc::new(crate::clock::ManualClock::at(1000)),
                vec![0; 32],
            )
        };
        let (a, b) = (instance(), instance());
        crate::fetch::ensure_crypto_provider();
        let client = reqwest::Client::new();
        let (x, y) = tokio::join!(deliver_due(&a, &client), deliver_due(&b, &client));
        assert_eq!(x + y, 20);
        assert_eq!(deliver_due(&b, &client).await, 0);
        let mut ids = seen.lock().unwrap().clone();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!((seen.lock().unwrap().len(), ids.len()), (20, 20));
    }

    #[test]
    fn signature_matches_the_sdks_rule() {
        // HMAC-SHA256("secret", "1700000000.{}") computed independently.
        let sig = signature("secret", "1700000000", "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"1700000000.{}");
        assert_eq!(sig, hex::encode(mac.finalize().into_bytes()));
        assert_eq!(sig.len(), 64);
    }
}
