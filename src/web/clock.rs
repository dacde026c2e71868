//! The browser module's one reader of the clock, and its timer.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Milliseconds on a monotonic clock (`performance.now()`, or `Date.now()` without it).
pub(crate) fn now_ms() -> u64 {
    let global = js_sys::global();
    let perf = Reflect::get(&global, &"performance".into())
        .ok()
        .filter(|p| !p.is_undefined());
    if let Some(perf) = perf {
        if let Ok(now) = Reflect::get(&perf, &"now".into()).and_then(|f| f.dyn_into::<Function>()) {
            if let Some(ms) = now.call0(&perf).ok().and_then(|v| v.as_f64()) {
                return ms.max(0.0) as u64;
            }
        }
    }
    js_sys::Date::now() as u64
}

/// Resolves after `ms` milliseconds (`setTimeout` of the global scope).
pub(crate) async fn sleep(ms: u64) {
    let global = js_sys::global();
    let promise = Promise::new(&mut |resolve, _| {
        if let Ok(set_timeout) =
            Reflect::get(&global, &"setTimeout".into()).and_then(|f| f.dyn_into::<Function>())
        {
            let _ = set_timeout.call2(
                &global,
                &resolve,
                &JsValue::from_f64(ms.min(i32::MAX as u64) as f64),
            );
        }
    });
    let _ = JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn sleep_waits_on_a_monotonic_clock() {
        let t0 = now_ms();
        sleep(30).await;
        let t1 = now_ms();
        assert!(t1 >= t0 + 25, "{t0} → {t1}");
    }
}
