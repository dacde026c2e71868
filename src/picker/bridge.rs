//! Calls into the app: the picker's callbacks (docs/protocol.md §8.7), the app's checks of each picked
//! file (`acceptFn`, then `onFileSelected`, run by the JS entry as one `check`) and per-file tag
//! functions (`tags`), and the file objects they receive.

use super::hook::Hook;
use crate::js_api::shapes;
use crate::model::selection::{Entry, Origin, Phase};
use crate::upload::events::Progress;
use crate::web::js_value::{console_error, to_js};
use js_sys::{Function, Promise, Reflect};
use serde_json::{Value, json};
use skiff_engine::FileResult;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The app's functions (a plain object made by the JS entry, keyed by [`Hook::js_name`]).
#[derive(Debug, Clone)]
pub(crate) struct Hooks(Rc<JsValue>);

impl PartialEq for Hooks {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Hooks {
    pub(crate) fn new(object: JsValue) -> Hooks {
        Hooks(Rc::new(object))
    }

    fn get(&self, hook: Hook) -> Option<Function> {
        if self.0.is_object() {
            Reflect::get(&self.0, &hook.js_name().into())
                .ok()?
                .dyn_into()
                .ok()
        } else {
            None
        }
    }

    /// Whether the app gave `hook`.
    pub(crate) fn has(&self, hook: Hook) -> bool {
        self.get(hook).is_some()
    }

    /// Calls `hook` with `args`; what it throws is reported on the console.
    pub(crate) fn call(&self, hook: Hook, args: &[JsValue]) -> Option<JsValue> {
        let f = self.get(hook)?;
        let list: js_sys::Array = args.iter().collect();
        match f.apply(&JsValue::NULL, &list) {
            Ok(v) => Some(v),
            Err(e) => {
                console_error(&e);
                None
            }
        }
    }

    /// The element given as `container`, if the app passed one.
    pub(crate) fn container(&self) -> Option<web_sys::Element> {
        Reflect::get(&self.0, &Hook::Container.js_name().into())
            .ok()?
            .dyn_into()
            .ok()
    }

    /// The app's verdict on a picked file: admitted (perhaps under a new name) or refused with
    /// the app's reason.
    pub(crate) async fn check(&self, file: JsValue) -> Result<Option<String>, String> {
        let Some(f) = self.get(Hook::Check) else {
            return Ok(None);
        };
        let result = match f.call1(&JsValue::NULL, &file) {
            Ok(v) => JsFuture::from(Promise::resolve(&v)).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(v) => Ok(v.as_string()),
            Err(e) => Err(reason(&e)),
        }
    }

    /// This file's tags, from the app's tag functions merged by the JS entry (`None`: no
    /// functions, the upload options' tags apply).
    pub(crate) fn tags(&self, file: &JsValue) -> Result<Option<Value>, String> {
        let Some(f) = self.get(Hook::Tags) else {
            return Ok(None);
        };
        let v = f.call1(&JsValue::NULL, file).map_err(|e| reason(&e))?;
        let text = js_sys::JSON::stringify(&v).map_err(|e| reason(&e))?;
        serde_json::from_str(&String::from(text))
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// A readable reason from what the app threw or rejected with.
pub(crate) fn reason(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string()
        .unwrap_or_else(|| "refused by the app".to_owned())
}

/// The `PickerFileMetadata` of an entry (filestack-js's shape, plus `uploadTags`); `file` (the
/// picked `File`) becomes `originalFile` while the app checks it.
pub(crate) fn file_object(e: &Entry, file: Option<&JsValue>) -> JsValue {
    let (source, original_path) = match &e.origin {
        Origin::Local => ("local_file_system", e.name.clone()),
        Origin::Url(u) => ("url", u.clone()),
        Origin::Cloud(source, path) => (source.name(), path.clone()),
    };
    let mut v = json!({
        "filename": e.name, "mimetype": e.mimetype, "size": e.size, "source": source,
        "uploadId": format!("skiff-{}", e.id), "originalPath": original_path,
        "originalFile": { "name": e.name, "type": e.mimetype, "size": e.size },
        "status": if matches!(e.phase, Phase::Done(_)) { "Stored" } else { "InTransit" },
    });
    if let Phase::Done(stored) = &e.phase {
        for key in [
            "handle",
            "url",
            "key",
            "container",
            "uploadTags",
            "mimetype",
            "size",
        ] {
            if let Some(x) = stored.get(key).filter(|x| !x.is_null()) {
                v[key] = x.clone();
            }
        }
        if let Some(s) = stored.get("status").and_then(Value::as_str) {
            v["status"] = json!(s);
        }
    }
    let out = to_js(&v);
    if let Some(f) = file {
        let _ = Reflect::set(&out, &"originalFile".into(), f);
    }
    out
}

/// The `PickerFileMetadata` of each entry, as a JS array.
pub(crate) fn file_list<'a>(entries: impl Iterator<Item = &'a Entry>) -> js_sys::Array {
    entries.map(|e| file_object(e, None)).collect()
}

/// `{filesUploaded, filesFailed}`.
pub(crate) fn response(done: &[&Entry], failed: &[&Entry]) -> JsValue {
    let out = js_sys::Object::new();
    let _ = Reflect::set(
        &out,
        &"filesUploaded".into(),
        &file_list(done.iter().copied()),
    );
    let _ = Reflect::set(
        &out,
        &"filesFailed".into(),
        &file_list(failed.iter().copied()),
    );
    out.into()
}

/// A stored file as the selection keeps it (the JS API's shape, which [`file_object`] reads).
pub(crate) fn stored(r: &FileResult) -> Value {
    shapes::stored(r)
}

/// `onFileUploadProgress`'s second argument: the file's whole percent and bytes sent.
pub(crate) fn file_progress(percent: u8, bytes: u64) -> JsValue {
    to_js(&json!({ "totalPercent": percent, "totalBytes": bytes }))
}

/// A file's whole percent and bytes sent, from its task's progress (the picker runs one task per
/// file, so the task's totals are the file's).
pub(crate) fn percent_and_bytes(p: &Progress) -> (u8, u64) {
    (p.total_percent as u8, p.total_bytes)
}
