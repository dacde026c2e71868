//! Starting uploads and the single-request calls, shared by the JS API (`client.upload`,
//! `client.storeURL`) and the picker.

use super::connections;
use super::driver::{self, Callbacks, Msg, Queue};
use super::events::{FileOutcome, Finished};
use super::resumable::Resumable;
use crate::model::checkpoint;
use crate::model::client_options::ClientOptions;
use crate::model::failure::Failure;
use crate::model::file_name;
use crate::model::options::{StoreOptions, UploadOptions};
use crate::web::{clock, http};
use futures_channel::mpsc::UnboundedSender;
use serde_json::{Value, json};
use skiff_engine::{Engine, FileSpec, IdMap, Outcome, UploadError};
use skiff_protocol::wire::json_text;
use skiff_protocol::{UploadTags, routes};
use std::future::Future;
use wasm_bindgen::JsCast;
use web_sys::Blob;

/// One file to upload.
#[derive(Debug)]
pub(crate) struct FileInput {
    /// The bytes.
    pub(crate) blob: Blob,
    /// The name to store it under (else the sanitised `File.name`, or the store option).
    pub(crate) name: Option<String>,
    /// Tags for this file only (else the upload options' tags).
    pub(crate) tags: Option<UploadTags>,
}

/// Starts uploading `files`; returns the task's command queue and a future of how each file
/// ended, in the order given.
pub(crate) fn start(
    client: &ClientOptions,
    files: Vec<FileInput>,
    up: &UploadOptions,
    store: &StoreOptions,
    cb: Callbacks,
    security: Option<(String, String)>,
) -> (
    UnboundedSender<Msg>,
    impl Future<Output = Vec<Finished>> + 'static,
) {
    let mut engine = Engine::new(up.engine.clone(), js_sys::Math::random().to_bits());
    let mut prepared = Vec::new();
    for f in files {
        let (name, browser_type) = match f.blob.dyn_ref::<web_sys::File>() {
            Some(file) => (file.name(), file.type_()),
            None => (String::new(), f.blob.type_()),
        };
        let filename = f
            .name
            .or_else(|| store.filename.clone())
            .unwrap_or_else(|| store.clean_name(&name));
        let mimetype = store
            .mimetype
            .clone()
            .unwrap_or_else(|| file_name::mimetype(&browser_type, &filename));
        let mut spec = FileSpec::new(
            &client.urls.upload_api,
            &client.apikey,
            &filename,
            &mimetype,
            f.blob.size() as u64,
        );
        spec.store = store.store_for(&filename);
        spec.tags = f.tags.unwrap_or_else(|| up.tags.clone());
        spec.security = security.clone();
        spec.alt = store.alt.clone();
        spec.own_server = client.own_upload_api;
        prepared.push((spec, f.blob));
    }
    let resume = up.resume;
    let (mode, part_size) = (up.engine.mode, up.engine.part_size);
    let (tx, rx) = futures_channel::mpsc::unbounded();
    // The task takes its share of the browser's connections now, not once its kept uploads are
    // looked up: files started together all count before any of them sends a part.
    let queue = Queue {
        tx: tx.clone(),
        rx,
        share: connections::join(),
    };
    let done = async move {
        // Each file's kept upload, if it has one, is found before the engine starts it.
        let lookups = prepared
            .iter()
            .map(|(spec, blob)| {
                (resume && checkpoint::worth_keeping(mode, part_size, spec.size))
                    .then(|| (blob.clone(), spec.apikey.clone(), spec.upload_url.clone()))
            })
            .collect();
        let (mut resumable, found) = Resumable::prepare(lookups).await;
        let now = clock::now_ms();
        let mut blobs = IdMap::new();
        let mut order = Vec::new();
        let mut names = IdMap::new();
        for ((mut spec, blob), found) in prepared.into_iter().zip(found) {
            spec.rejoin = found.kept.as_ref().map(|(cp, _)| cp.clone());
            let filename = spec.filename.clone();
            let id = engine.add_file(spec, now);
            if let Some(r) = &mut resumable {
                r.track(id, found, &blob);
            }
            names.insert(id, filename);
            order.push(id);
            blobs.insert(id, blob);
        }
        let mut results = driver::drive(engine, blobs, names.clone(), queue, cb, resumable).await;
        order
            .iter()
            .map(|id| Finished {
                filename: names.get(id).cloned().unwrap_or_default(),
                // The driver returns once every file has ended; a file missing would mean its
                // queue closed early.
                outcome: results.remove(id).unwrap_or_else(|| {
                    FileOutcome::Failed(UploadError {
                        request: None,
                        status: None,
                        code: None,
                        message: "the upload stopped".to_owned(),
                    })
                }),
            })
            .collect()
    };
    (tx, done)
}

/// One JSON request; a failure says which request failed, with the status and the server's code.
pub(crate) async fn json_call(
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, Failure> {
    let headers = if body.is_some() {
        vec![("Content-Type".to_owned(), "application/json".to_owned())]
    } else {
        Vec::new()
    };
    let body = body.map(|b| wasm_bindgen::JsValue::from_str(&json_text(&b)));
    let outcome = http::send(method, url, &headers, body.as_ref(), None)
        .await
        .map_err(|e| Failure::local(None, format!("{method} {url} failed: {e}")))?;
    let Outcome::Response { status, body, .. } = outcome else {
        return Err(Failure::local(
            None,
            format!("{method} {url} got no answer"),
        ));
    };
    if !(200..300).contains(&status) {
        return Err(Failure::refused(&format!("{method} {url}"), status, &body));
    }
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// Stores the file at `url` through `/process` (filestack-js's `storeURL`): resolves to its
/// handle, url, mimetype and uploadTags.
pub(crate) fn store_url(
    client: &ClientOptions,
    url: &str,
    store: &StoreOptions,
    tags: Option<UploadTags>,
    security: Option<(String, String)>,
) -> impl Future<Output = Result<Value, Failure>> + 'static {
    let mut params = store.store.clone();
    if let Some(f) = &store.filename {
        params["filename"] = json!(f);
    }
    let mut tasks = vec![json!({ "name": "store", "params": params })];
    if let Some((p, s)) = security {
        tasks.push(json!({ "name": "security", "params": { "policy": p, "signature": s } }));
    }
    let mut body = json!({ "apikey": client.apikey, "sources": [url], "tasks": tasks });
    if let Some(t) = tags {
        body["upload_tags"] = serde_json::to_value(&t).unwrap_or(Value::Null);
    }
    let endpoint = format!("{}{}", client.urls.process, routes::PROCESS);
    async move {
        let mut r = json_call("POST", &endpoint, Some(body)).await?;
        if r.get("handle").is_none() {
            return Err(Failure::local(None, "the /process answer has no handle"));
        }
        r["uploadTags"] = r.get("upload_tags").cloned().unwrap_or(json!({}));
        if let Some(obj) = r.as_object_mut() {
            obj.remove("upload_tags");
            let t = obj.get("type").cloned();
            obj.entry("mimetype").or_insert(t.unwrap_or(Value::Null));
        }
        Ok(r)
    }
}
