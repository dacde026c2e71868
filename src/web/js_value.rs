//! Plain data across the JS boundary, and calling the app's functions with it. Both directions go
//! through JSON text (`JSON.stringify` / `JSON.parse`), which keeps one JSON reader in the module
//! instead of a second, generic converter. And what JS threw, as text for a message.

use js_sys::{Function, Reflect};
use serde_json::Value;
use skiff_protocol::wire::json_text;
use wasm_bindgen::{JsCast, JsError, JsValue};

/// Plain data from JS (options hold only plain data; callbacks are taken out by the entry).
/// `what` names the argument in the error.
pub(crate) fn from_js(v: &JsValue, what: &str) -> Result<Value, JsError> {
    if v.is_undefined() || v.is_null() {
        return Ok(Value::Null);
    }
    let text = js_sys::JSON::stringify(v)
        .map_err(|_| JsError::new(&format!("Invalid {what}: not plain data")))?;
    serde_json::from_str(&String::from(text))
        .map_err(|e| JsError::new(&format!("Invalid {what}: {e}")))
}

/// Plain data to JS.
pub(crate) fn to_js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&json_text(v)).unwrap_or(JsValue::NULL)
}

/// Calls the app's function `f` with `arg` as a plain JS object. What it throws is reported on
/// the console: an app's bug in a progress callback must not stop the upload.
pub(crate) fn call_with(f: &Function, arg: &Value) {
    if let Err(e) = f.call1(&JsValue::NULL, &to_js(arg)) {
        console_error(&e);
    }
}

/// Reports an exception thrown by an app callback on the console; never fatal.
pub(crate) fn console_error(e: &JsValue) {
    console("error", &"skiff: a callback threw:".into(), e);
}

/// A warning for developers on the console (the technical side of what the picker tells people;
/// an uploader that cannot keep uploads for resuming).
pub(crate) fn console_warn(message: &str) {
    console("warn", &"skiff:".into(), &message.into());
}

/// Why an upload kept from before a reload could not be carried on (it starts afresh), for
/// developers on the console.
pub(crate) fn console_resume_refused(reason: &str) {
    let lead = "skiff: starting afresh, the earlier upload cannot be carried on:";
    console("info", &lead.into(), &reason.into());
}

/// `console[method](a, b)` through the global object (no web-sys feature for one call), where
/// there is a console.
fn console(method: &str, a: &JsValue, b: &JsValue) {
    let console = Reflect::get(&js_sys::global(), &"console".into()).ok();
    if let Some(c) = console {
        if let Ok(f) = Reflect::get(&c, &method.into()) {
            if let Some(f) = f.dyn_ref::<Function>() {
                let _ = f.call2(&c, a, b);
            }
        }
    }
}

/// What JS threw (an `Error`, a string, anything), as text for a message.
pub(crate) fn describe(e: &JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    if let Some(s) = e.as_string() {
        return s;
    }
    if e.is_null() || e.is_undefined() {
        return "nothing (null or undefined)".to_owned();
    }
    // Whatever else was thrown, as JavaScript's toString() spells it. Not `{e:?}`: that would
    // ship wasm-bindgen's debug formatter in the glue for a case that hardly ever happens.
    String::from(e.unchecked_ref::<js_sys::Object>().to_string())
}
