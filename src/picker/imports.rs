//! Importing a picked cloud file: `POST /store/` with the picker's store options and the file's
//! tags. The server streams the file from the source into storage; while it does, the import's
//! progress (a Skiff extension: the request names an `import_id`, `GET /cloud/imports/{id}`
//! answers the bytes stored) is polled and reported like an upload's.

use super::Setup;
use super::cloud::{call, endpoint};
use crate::model::cloud::CloudSource;
use crate::model::cloud::wire;
use crate::model::failure::Failure;
use crate::web::clock::sleep;
use crate::web::cloud_api;
use futures_util::future::{Either, select};
use serde_json::{Value, json};
use skiff_protocol::{UploadTags, routes};
use std::rc::Rc;
use web_sys::AbortSignal;

/// How often an import's progress is asked for, ms.
const PROGRESS_MS: u64 = 400;

/// An id for one import: random, within the server's rule (8–64 letters, digits, `-`, `_`).
fn import_id() -> String {
    let r = || (js_sys::Math::random() * 1e15) as u64;
    format!("skiff-{:x}{:x}", r(), r())
}

/// Imports `path` of `source` under `name`; `progress` gets the bytes stored and the size (when
/// the source said). Resolves to the stored file as the picker keeps it.
pub(crate) async fn import(
    setup: Rc<Setup>,
    source: CloudSource,
    path: String,
    name: String,
    tags: UploadTags,
    signal: Option<AbortSignal>,
    progress: impl Fn(u64, Option<u64>) + 'static,
) -> Result<Value, Failure> {
    let id = import_id();
    let store_to = &setup.opts.store_to;
    // (Indexing a null `store` makes it an object.)
    let mut store = store_to.store_for(&name);
    store["filename"] = json!(store_to.filename.clone().unwrap_or(name));
    let body = wire::store_body(
        &call(&setup),
        source,
        &path,
        &store,
        &tags,
        &id,
        &setup.opts.custom_source,
    );
    let url = endpoint(&setup, routes::CLOUD_STORE);
    let stored = cloud_api::post(&url, &body, signal.as_ref());
    let watch_url = format!(
        "{}?key={}",
        endpoint(&setup, &routes::fill(routes::CLOUD_IMPORT, &[("id", &id)])),
        js_sys::encode_uri_component(&setup.client.apikey)
    );
    let watch = async move {
        let mut last = None;
        loop {
            sleep(PROGRESS_MS).await;
            // A progress answer that fails (the import not registered yet, a blip) is skipped.
            if let Some(p) = cloud_api::get(&watch_url)
                .await
                .ok()
                .and_then(|v| wire::parse_progress(&v))
            {
                if last.replace(p.bytes) != Some(p.bytes) {
                    progress(p.bytes, p.size);
                }
            }
        }
    };
    let answer = match select(Box::pin(stored), Box::pin(watch)).await {
        Either::Left((r, _)) => r?,
        Either::Right(((), _)) => unreachable!("the progress watch never ends by itself"),
    };
    wire::parse_store(&answer, source).map_err(|m| Failure::local(None, m))
}
