//! A PUT of a file slice with `XMLHttpRequest`. `fetch` cannot tell how much of a request body
//! has gone out (streaming request bodies need HTTP/2 in Chromium and are missing elsewhere);
//! XHR's `upload.onprogress` can, and that is what lets progress move while a part is on the wire
//! instead of jumping when it ends.

use js_sys::{Function, Promise, Reflect};
use skiff_engine::Outcome;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, XmlHttpRequest};

use super::js_value::describe;

/// Sends `body` with `method` to `url`; `on_sent` hears how many bytes of it have gone out, as
/// the browser reports them. Aborting `signal` aborts the request (an error, like a dropped
/// connection). The outcome is the status, body text and `ETag`, or why there was no answer.
pub(crate) async fn send_blob(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &Blob,
    signal: &AbortSignal,
    on_sent: Box<dyn Fn(u64)>,
) -> Result<Outcome, String> {
    if signal.aborted() {
        return Err("aborted".into());
    }
    let xhr = XmlHttpRequest::new().map_err(|e| describe(&e))?;
    xhr.open(method, url).map_err(|e| describe(&e))?;
    for (k, v) in headers {
        xhr.set_request_header(k, v)
            .map_err(|e| format!("header {k}: {}", describe(&e)))?;
    }
    let upload = xhr.upload().map_err(|e| describe(&e))?;
    // `Closure<dyn FnMut(JsValue)>` and `Event.loaded` read by name rather than a `ProgressEvent`
    // binding: each closure signature and binding adds to the uploader's wasm, which has a budget.
    let progress = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let loaded = Reflect::get(&e, &"loaded".into())
            .ok()
            .and_then(|v| v.as_f64());
        on_sent(loaded.unwrap_or(0.0) as u64);
    });
    // `xhr.abort` bound to the request is the signal's handler: no closure needed.
    let abort: Function = Reflect::get(&xhr, &"abort".into())
        .map_err(|e| describe(&e))?
        .unchecked_into::<Function>()
        .bind0(&xhr);
    // The promise's own resolve and reject are the handlers: no Rust closure to keep for them.
    let mut settle: Option<(Function, Function)> = None;
    let ended = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let (resolve, reject) = settle.expect("the Promise executor runs at once");
    upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
    xhr.set_onload(Some(&resolve));
    xhr.set_onerror(Some(&reject));
    xhr.set_onabort(Some(&reject));
    xhr.set_ontimeout(Some(&reject));
    signal.set_onabort(Some(&abort));
    let sent = xhr.send_with_opt_blob(Some(body));
    let result = match sent {
        Ok(()) => JsFuture::from(ended).await.map(|_| ()),
        Err(e) => Err(e),
    };
    // The handlers are taken off before the closures are dropped: an event that came later would
    // otherwise call a closure that is gone.
    upload.set_onprogress(None);
    signal.set_onabort(None);
    drop(progress);
    if let Err(e) = result {
        // XHR's error events carry no reason; an exception (a bad URL) does.
        return Err(match e.dyn_ref::<web_sys::Event>() {
            Some(ev) => format!(
                "the connection failed before an answer (XMLHttpRequest {})",
                ev.type_()
            ),
            None => describe(&e),
        });
    }
    Ok(Outcome::Response {
        status: xhr.status().map_err(|e| describe(&e))?,
        body: xhr.response_text().ok().flatten().unwrap_or_default(),
        etag: xhr.get_response_header("etag").ok().flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A PUT of 10 bytes to a loopback port nothing listens on; returns its outcome and the
    /// byte counts `on_sent` heard.
    async fn put_to_nowhere(
        ctrl: &web_sys::AbortController,
    ) -> (Result<Outcome, String>, Vec<u64>) {
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(&[7u8; 10][..]));
        let blob = Blob::new_with_u8_array_sequence(&parts).unwrap();
        let heard = Rc::new(RefCell::new(Vec::new()));
        let h = heard.clone();
        let on_sent = Box::new(move |n| h.borrow_mut().push(n));
        let r = send_blob(
            "PUT",
            "http://127.0.0.1:9/x",
            &[],
            &blob,
            &ctrl.signal(),
            on_sent,
        )
        .await;
        (r, heard.take())
    }

    #[wasm_bindgen_test]
    async fn a_refused_connection_is_an_error() {
        let (r, _) = put_to_nowhere(&web_sys::AbortController::new().unwrap()).await;
        assert!(r.is_err(), "{r:?}");
    }

    #[wasm_bindgen_test]
    async fn an_aborted_signal_stops_it_before_sending() {
        let ctrl = web_sys::AbortController::new().unwrap();
        ctrl.abort();
        let (r, heard) = put_to_nowhere(&ctrl).await;
        assert_eq!(r, Err("aborted".into()));
        assert!(heard.is_empty());
    }
}
