//! Performs one engine request: JSON calls with `fetch` (adding the MD5 of a file slice when the
//! engine asks for it), and PUTs of `Blob.slice` ranges with `XMLHttpRequest` (`super::xhr`), which
//! reports the bytes sent; each request has its own `AbortController`.

use js_sys::{Function, Promise, Reflect, Uint8Array};
use skiff_engine::{Body, Outcome, Request};
use skiff_protocol::wire::json_text;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Blob, Headers, RequestInit, Response};

use super::js_value::describe;

/// `fetch` of the global scope (window or worker).
fn fetch(url: &str, init: &RequestInit) -> Result<Promise, String> {
    let global = js_sys::global();
    let f: Function = Reflect::get(&global, &"fetch".into())
        .map_err(|e| describe(&e))?
        .dyn_into()
        .map_err(|_| "fetch is not available".to_owned())?;
    let p = f
        .call2(&global, &url.into(), init)
        .map_err(|e| describe(&e))?;
    p.dyn_into::<Promise>()
        .map_err(|_| "fetch did not return a promise".to_owned())
}

/// Base64 MD5 of bytes `start..end` of `file`. The range is read with `Blob.arrayBuffer()` in
/// pieces of [`READ_PIECE`] bytes, the next piece read while this one is hashed; this costs the
/// page's thread about half what draining `Blob.stream()`'s small chunks did, and no piece blocks
/// the thread for more than a few milliseconds. Each piece goes through one reused window of wasm
/// memory, so wasm memory does not grow with the part size. An error says why the range could not
/// be read.
pub(crate) async fn digest(file: &Blob, start: u64, end: u64) -> Result<String, String> {
    use md5::Digest as _;
    let read = |at: u64| -> Result<(JsFuture, u64), String> {
        let to = end.min(at + READ_PIECE);
        let piece = file
            .slice_with_f64_and_f64(at as f64, to as f64)
            .map_err(|e| describe(&e))?;
        Ok((JsFuture::from(piece.array_buffer()), to - at))
    };
    let mut md5 = md5::Md5::new();
    let mut window = vec![0u8; HASH_WINDOW as usize];
    let mut at = start;
    let mut next = if start < end {
        Some(read(start)?)
    } else {
        None
    };
    while let Some((pending, want)) = next.take() {
        let buf = pending.await.map_err(|e| describe(&e))?;
        // The next piece is read while this one is hashed.
        if at + want < end {
            next = Some(read(at + want)?);
        }
        let bytes = Uint8Array::new(&buf);
        let n = bytes.length();
        if u64::from(n) != want {
            return Err(format!(
                "asked for {want} bytes at offset {at}, got {n} (did the file change?)"
            ));
        }
        let mut off = 0;
        while off < n {
            let len = HASH_WINDOW.min(n - off);
            let w = &mut window[..len as usize];
            bytes.subarray(off, off + len).copy_to(w);
            md5.update(&*w);
            off += len;
        }
        at += want;
    }
    Ok(super::md5::digest_base64(&md5.finalize().into()))
}

/// The bytes [`digest`] reads from the file at once (held in JS memory until hashed; at most two
/// pieces per range being hashed). Small, because each piece is hashed on the page's thread in
/// one go: with 2 MiB pieces, 256 MiB through the picker with no worker (grown parts, loopback)
/// had long tasks of 56-118 ms in 3 runs of 7 (the profile: MD5 and the browser's own work
/// between); with 512 KiB, none in 12 runs, and the upload took as long.
const READ_PIECE: u64 = 512 << 10;
/// The bytes [`digest`] copies into wasm memory at a time.
const HASH_WINDOW: u32 = 256 << 10;

/// Sends `req` and waits for its outcome; `known_md5` is the digest of the range the request
/// asks to hash, when the driver computed it ahead, and `on_sent` hears how much of a PUT's body
/// has gone out. A range of the file that cannot be read for its digest gives
/// [`Outcome::Unreadable`]; no request is sent then.
pub(crate) async fn perform(
    req: &Request,
    file: &Blob,
    signal: &AbortSignal,
    known_md5: Option<String>,
    on_sent: Box<dyn Fn(u64)>,
) -> Outcome {
    match attempt(req, file, signal, known_md5, on_sent).await {
        Ok(outcome) => outcome,
        Err(why) => Outcome::Network(why),
    }
}

async fn attempt(
    req: &Request,
    file: &Blob,
    signal: &AbortSignal,
    known_md5: Option<String>,
    on_sent: Box<dyn Fn(u64)>,
) -> Result<Outcome, String> {
    let body: JsValue = match &req.body {
        Body::Json { value, md5_of, .. } => {
            let mut value = value.clone();
            if let Some((start, end)) = md5_of {
                let md5 = match known_md5 {
                    Some(d) => d,
                    None => match digest(file, *start, *end).await {
                        Ok(d) => d,
                        Err(why) => return Ok(Outcome::Unreadable(why)),
                    },
                };
                value["md5"] = serde_json::Value::String(md5);
            }
            JsValue::from_str(&json_text(&value))
        }
        // The browser streams the slice from the file; it never enters wasm memory.
        Body::Slice { start, end, .. } => {
            let slice = file
                .slice_with_f64_and_f64(*start as f64, *end as f64)
                .map_err(|e| describe(&e))?;
            return super::xhr::send_blob(
                req.method,
                &req.url,
                &req.headers,
                &slice,
                signal,
                on_sent,
            )
            .await;
        }
    };
    send(
        req.method,
        &req.url,
        &req.headers,
        Some(&body),
        Some(signal),
    )
    .await
}

/// One HTTP exchange: status, body text and `ETag`, or why there was no answer.
pub(crate) async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Option<&JsValue>,
    signal: Option<&AbortSignal>,
) -> Result<Outcome, String> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_signal(signal);
    let h = Headers::new().map_err(|e| describe(&e))?;
    for (k, v) in headers {
        h.set(k, v)
            .map_err(|e| format!("header {k}: {}", describe(&e)))?;
    }
    init.set_headers(&h);
    if let Some(b) = body {
        init.set_body(b);
    }
    let resp = JsFuture::from(fetch(url, &init)?)
        .await
        .map_err(|e| describe(&e))?;
    let resp: Response = resp
        .dyn_into()
        .map_err(|_| "fetch answered something that is not a Response".to_owned())?;
    let etag = resp.headers().get("etag").ok().flatten();
    let text = JsFuture::from(resp.text().map_err(|e| describe(&e))?)
        .await
        .map_err(|e| describe(&e))?;
    Ok(Outcome::Response {
        status: resp.status(),
        body: text.as_string().unwrap_or_default(),
        etag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::md5_base64;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// The bytes `start..end` of `file`, copied into wasm memory.
    async fn read_slice(file: &Blob, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let slice = file
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(|e| describe(&e))?;
        let buf = JsFuture::from(slice.array_buffer())
            .await
            .map_err(|e| describe(&e))?;
        Ok(Uint8Array::new(&buf).to_vec())
    }

    fn blob(bytes: &[u8]) -> Blob {
        let parts = js_sys::Array::of1(&Uint8Array::from(bytes));
        Blob::new_with_u8_array_sequence(&parts).unwrap()
    }

    #[wasm_bindgen_test]
    async fn streamed_digests_match_whole_ones() {
        // Ranges of several pieces, cut anywhere, and within one.
        let data: Vec<u8> = (0..=255u8).cycle().take(1_300_000).collect();
        let b = blob(&data);
        let piece = READ_PIECE;
        for (a, z) in [
            (0, 1_300_000),
            (1, 1_299_999),
            (piece - 1, 2 * piece + 3),
            (65_536, 200_000),
            (5, 5),
        ] {
            assert_eq!(
                digest(&b, a, z).await.unwrap(),
                md5_base64(&data[a as usize..z as usize]),
                "{a}..{z}"
            );
        }
    }

    #[wasm_bindgen_test]
    async fn slices_are_read_exactly() {
        let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        let b = blob(&data);
        assert_eq!(
            read_slice(&b, 1000, 70_000).await.unwrap(),
            &data[1000..70_000]
        );
        assert_eq!(
            read_slice(&b, 99_999, 100_000).await.unwrap(),
            &data[99_999..]
        );
    }

    #[wasm_bindgen_test]
    async fn send_reports_status_body_and_network_errors() {
        let ok = send("GET", "data:text/plain,hello%20skiff", &[], None, None)
            .await
            .unwrap();
        assert!(
            matches!(ok, Outcome::Response { status: 200, ref body, .. } if body == "hello skiff"),
            "{ok:?}"
        );
        // Nothing listens on port 9 of loopback: fetch rejects, which is a network error.
        let err = send(
            "POST",
            "http://127.0.0.1:9/x",
            &[],
            Some(&JsValue::from_str("{}")),
            None,
        )
        .await;
        assert!(err.is_err(), "{err:?}");
    }

    #[wasm_bindgen_test]
    async fn an_aborted_request_stops() {
        let ctrl = web_sys::AbortController::new().unwrap();
        ctrl.abort();
        let r = send("GET", "data:text/plain,x", &[], None, Some(&ctrl.signal())).await;
        assert!(r.is_err(), "{r:?}");
    }
}
