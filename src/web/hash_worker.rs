//! Part digests from the uploader's Web Worker (`www/hash-worker.js`, started by the package's
//! entry module on the first part to hash), so that hashing the parts ahead does not hold the
//! page's thread. Where no worker runs, the entry's hasher answers `null` (and has said why on
//! the console), and the page hashes as before ([`super::http::digest`]).

use super::http;
use super::js_value::describe;
use js_sys::{Function, Promise};
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

thread_local! {
    static HASHER: RefCell<Option<Function>> = const { RefCell::new(None) };
    static HURRY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Set by the entry module once this module is loaded (internal): `hasher`, `(blob, start, end,
/// pace)` to a Promise of the range's base64 MD5, or of `null` where no worker runs; `hurry`,
/// `()`, has the worker hash what it holds at full speed.
#[wasm_bindgen(js_name = setHasher)]
pub fn set_hasher(hasher: Function, hurry: Function) {
    HASHER.with(|h| *h.borrow_mut() = Some(hasher));
    HURRY.with(|h| *h.borrow_mut() = Some(hurry));
}

/// Has the worker hash every range it holds (being hashed or waiting) at full speed: a call or
/// an answer now waits for one of them (`crate::upload::hash_pace`).
pub(crate) fn hurry() {
    if let Some(f) = HURRY.with(|h| h.borrow().clone()) {
        let _ = f.call0(&JsValue::NULL);
    }
}

/// Ranges handed to the worker at once: its MD5 hashes up to four side by side (SIMD lanes).
const WORKER_LANES: usize = 4;

/// How many ranges to have hashed at once: the worker's lanes where it hashes, one where the
/// page's thread does (several would only take turns on it, each holding its pieces).
pub(crate) fn width() -> usize {
    HASHER.with(|h| {
        if h.borrow().is_some() {
            WORKER_LANES
        } else {
            1
        }
    })
}

/// The base64 MD5 of `blob[start..end]`, from the worker where one runs, hashed at no more than
/// `pace` bytes per millisecond (0: as fast as it can; `crate::upload::hash_pace`). The page's
/// own hashing, where no worker runs, ignores it.
pub(crate) async fn digest(blob: &Blob, start: u64, end: u64, pace: f64) -> Result<String, String> {
    if let Some(f) = HASHER.with(|h| h.borrow().clone()) {
        let args = js_sys::Array::of4(
            blob,
            &(start as f64).into(),
            &(end as f64).into(),
            &pace.into(),
        );
        let asked = f.apply(&JsValue::NULL, &args).map_err(|e| describe(&e))?;
        let answer = JsFuture::from(Promise::from(asked))
            .await
            .map_err(|e| describe(&e))?;
        match answer.as_string() {
            Some(md5) => return Ok(md5),
            // No worker here: from now on the page hashes.
            None => HASHER.with(|h| *h.borrow_mut() = None),
        }
    }
    http::digest(blob, start, end).await
}
