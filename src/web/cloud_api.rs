//! The Cloud API's requests, made with gloo-net (the design's HTTP crate for the picker; the
//! uploader keeps its own fetch and XMLHttpRequest adapters, so its module does not grow). JSON in,
//! JSON out; a refusal becomes a [`Failure`] with the server's code and status, like the upload
//! calls' (docs/protocol.md §14).

use crate::model::failure::Failure;
use gloo_net::http::{Request, Response};
use serde_json::Value;
use skiff_protocol::wire::json_text;
use web_sys::AbortSignal;

/// `POST url` with a JSON body; `signal` aborts it.
pub(crate) async fn post(
    url: &str,
    body: &Value,
    signal: Option<&AbortSignal>,
) -> Result<Value, Failure> {
    let sent = Request::post(url)
        .abort_signal(signal)
        .header("Content-Type", "application/json")
        .body(json_text(body));
    let r = match sent {
        Ok(req) => req.send().await,
        Err(e) => Err(e),
    };
    answer("POST", url, r).await
}

/// `GET url`, answered with JSON.
pub(crate) async fn get(url: &str) -> Result<Value, Failure> {
    answer("GET", url, Request::get(url).send().await).await
}

async fn answer(
    method: &str,
    url: &str,
    r: Result<Response, gloo_net::Error>,
) -> Result<Value, Failure> {
    // The query may carry the app's key: the message names the path only.
    let path = url.split('?').next().unwrap_or(url);
    let r = r.map_err(|e| Failure::local(None, format!("{method} {path} failed: {e}")))?;
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    if !(200..300).contains(&status) {
        return Err(Failure::refused(&format!("{method} {path}"), status, &text));
    }
    serde_json::from_str(&text).map_err(|e| {
        Failure::local(
            None,
            format!("{method} {path}: the answer is not JSON: {e}"),
        )
    })
}
