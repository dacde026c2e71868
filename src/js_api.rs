//! What JavaScript sees: `Client` (made by the entry's `init(apikey, clientOptions)`) and the
//! `UploadTask` handle of each upload. Only opaque handles and plain data cross; every request an
//! upload starts is aborted when it is cancelled.

#![cfg(target_arch = "wasm32")]

pub(crate) mod shapes;

use crate::model::client_options::{ClientOptions, Security, client_options};
use crate::model::options;
use crate::upload::driver::{Callbacks, Command, Listener, Msg};
use crate::upload::start::{self, FileInput, json_call};
use crate::web::js_value::{call_with, from_js, to_js};
use js_sys::{Array, Function, Promise};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use web_sys::Blob;

/// A client of one app, like filestack-js's.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Client {
    opts: ClientOptions,
}

/// One running upload (one or several files): pause, resume, cancel, and its result.
#[wasm_bindgen]
#[derive(Debug)]
pub struct UploadTask {
    tx: futures_channel::mpsc::UnboundedSender<Msg>,
    done: Promise,
}

#[wasm_bindgen]
impl UploadTask {
    /// Pauses every file of the task (requests in flight are aborted; sent parts are kept).
    pub fn pause(&self) {
        let _ = self.tx.unbounded_send(Msg::Command(Command::Pause));
    }

    /// Resumes where the task stopped.
    pub fn resume(&self) {
        let _ = self.tx.unbounded_send(Msg::Command(Command::Resume));
    }

    /// Cancels every file of the task.
    pub fn cancel(&self) {
        let _ = self.tx.unbounded_send(Msg::Command(Command::Cancel));
    }

    /// Resolves, once every file has ended, to one entry per file: the stored file, or
    /// `{status: "Failed", filename, error}` with the reason.
    pub fn done(&self) -> Promise {
        self.done.clone()
    }
}

fn security_of(
    v: &JsValue,
    default: &Option<Security>,
) -> Result<Option<(String, String)>, JsError> {
    let value = from_js(v, "security")?;
    if value.is_null() {
        return Ok(default.clone().map(|s| (s.policy, s.signature)));
    }
    let s = Security::from_value(&value).ok_or_else(|| {
        JsError::new("Invalid security: both `policy` and `signature` (strings) are required")
    })?;
    Ok(Some((s.policy, s.signature)))
}

fn query(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(
            &js_sys::encode_uri_component(v)
                .as_string()
                .unwrap_or_default(),
        );
    }
    out
}

#[cfg(feature = "picker")]
impl Client {
    /// The client's settings (for the picker).
    pub(crate) fn options(&self) -> &ClientOptions {
        &self.opts
    }
}

#[wasm_bindgen]
impl Client {
    /// Reads the client options; an Error names a bad one.
    #[wasm_bindgen(constructor)]
    pub fn new(apikey: &str, options: JsValue) -> Result<Client, JsError> {
        let opts = client_options(apikey, from_js(&options, "client options")?)
            .map_err(|e| JsError::new(&e.0))?;
        Ok(Client { opts })
    }

    /// Starts uploading `files` (Blobs or Files) with filestack-js's upload and store options;
    /// `callbacks` holds `onProgress` and `onRetry` (taken out of the upload options by the entry).
    pub fn upload(
        &self,
        files: Array,
        upload_options: JsValue,
        store_options: JsValue,
        callbacks: JsValue,
        security: JsValue,
        filenames: JsValue,
    ) -> Result<UploadTask, JsError> {
        let callback = |name: &str| {
            js_sys::Reflect::get(&callbacks, &name.into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
        };
        let (on_progress, on_retry) = (callback("onProgress"), callback("onRetry"));
        let up = options::upload_options(from_js(&upload_options, "upload options")?)
            .map_err(|e| JsError::new(&e.0))?;
        let store = options::store_options(from_js(&store_options, "store options")?)
            .map_err(|e| JsError::new(&e.0))?;
        let security = security_of(&security, &self.opts.security)?;
        let named: Vec<Option<String>> = match from_js(&filenames, "file names")? {
            Value::Array(list) => list
                .into_iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let inputs = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let blob: Blob = f.dyn_into().map_err(|_| {
                    JsError::new(&format!(
                        "Invalid file at position {i}: expected a File or Blob"
                    ))
                })?;
                // A `filename` function in storeOptions was called per file by the JS entry.
                let name = named.get(i).cloned().flatten();
                Ok(FileInput {
                    blob,
                    name,
                    tags: None,
                })
            })
            .collect::<Result<Vec<_>, JsError>>()?;
        let cb = Callbacks {
            on_progress: on_progress
                .map(|f| -> Listener<_> { Box::new(move |p| call_with(&f, &shapes::progress(p))) }),
            on_retry: on_retry
                .map(|f| -> Listener<_> { Box::new(move |r| call_with(&f, &shapes::retry(r))) }),
            on_rejoined: None,
            progress_interval_ms: up.progress_interval_ms,
            hash_ahead: up.engine.concurrency,
        };
        let (tx, results) = start::start(&self.opts, inputs, &up, &store, cb, security);
        let done = wasm_bindgen_futures::future_to_promise(async move {
            let list = results.await.iter().map(shapes::finished).collect();
            Ok(to_js(&Value::Array(list)))
        });
        Ok(UploadTask { tx, done })
    }

    /// Stores a file from a URL through `/process` (filestack-js's `storeURL`).
    #[wasm_bindgen(js_name = storeUrl)]
    pub fn store_url(
        &self,
        url: String,
        store_options: JsValue,
        upload_tags: JsValue,
        security: JsValue,
    ) -> Result<Promise, JsError> {
        let store = options::store_options(from_js(&store_options, "store options")?)
            .map_err(|e| JsError::new(&e.0))?;
        let tags: Option<skiff_protocol::UploadTags> = match from_js(&upload_tags, "upload tags")? {
            Value::Null => None,
            v => Some(
                serde_json::from_value(v)
                    .map_err(|e| JsError::new(&format!("Invalid upload tags: {e}")))?,
            ),
        };
        if let Some(t) = &tags {
            t.validate()
                .map_err(|e| JsError::new(&format!("Invalid upload tags: {e}")))?;
        }
        let security = security_of(&security, &self.opts.security)?;
        let call = start::store_url(&self.opts, &url, &store, tags, security);
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            call.await.map(|r| to_js(&r)).map_err(|f| shapes::error(&f))
        }))
    }

    /// A file's metadata (filestack-js's `metadata(handle, options, security)`).
    pub fn metadata(
        &self,
        handle: String,
        options: JsValue,
        security: JsValue,
    ) -> Result<Promise, JsError> {
        let flags = from_js(&options, "metadata options")?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        if let Value::Object(m) = flags {
            for (k, v) in m {
                let b = v.as_bool().ok_or_else(|| {
                    JsError::new(&format!(
                        "Invalid metadata option `{k}`: must be true or false"
                    ))
                })?;
                pairs.push((k, b.to_string()));
            }
        }
        if let Some((p, s)) = security_of(&security, &self.opts.security)? {
            pairs.push(("policy".into(), p));
            pairs.push(("signature".into(), s));
        }
        let url = format!(
            "{}/{}/metadata{}",
            self.opts.urls.file_api,
            js_sys::encode_uri_component(&handle),
            query(&pairs)
        );
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let mut r = json_call("GET", &url, None)
                .await
                .map_err(|f| shapes::error(&f))?;
            r["handle"] = json!(handle);
            Ok(to_js(&r))
        }))
    }

    /// Forgets every upload kept for resuming after a reload (`client.clearResumableUploads()`).
    #[wasm_bindgen(js_name = clearResumableUploads)]
    pub fn clear_resumable_uploads(&self) -> Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            crate::upload::resumable::clear()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|why| {
                    JsError::new(&format!("Cannot clear the resumable uploads: {why}")).into()
                })
        })
    }

    /// Deletes a file (`DELETE {fileApiUrl}/{handle}?key=`).
    pub fn remove(&self, handle: String, security: JsValue) -> Result<Promise, JsError> {
        let mut pairs = vec![("key".to_owned(), self.opts.apikey.clone())];
        if let Some((p, s)) = security_of(&security, &self.opts.security)? {
            pairs.push(("policy".into(), p));
            pairs.push(("signature".into(), s));
        }
        let url = format!(
            "{}/{}{}",
            self.opts.urls.file_api,
            js_sys::encode_uri_component(&handle),
            query(&pairs)
        );
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            Ok(to_js(
                &json_call("DELETE", &url, None)
                    .await
                    .map_err(|f| shapes::error(&f))?,
            ))
        }))
    }
}
