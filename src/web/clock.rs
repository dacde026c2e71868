//! The browser module's one reader of the clock, and its timer (a guard that clears it).

use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

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

/// A pending `setTimeout` of the global scope (window or worker). Dropping the guard clears the
/// timeout, so a wake-up that was superseded (an earlier deadline came, or its owner ended) never
/// fires.
#[derive(Debug)]
pub(crate) struct Timeout {
    /// What `setTimeout` returned (a number in browsers), for `clearTimeout`.
    handle: JsValue,
    /// Kept alive until the timeout fires or is cleared.
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `f` once, after `ms` milliseconds; `None` if the scope has no `setTimeout`.
    pub(crate) fn new(ms: u64, f: impl FnOnce() + 'static) -> Option<Timeout> {
        let global = js_sys::global();
        let set_timeout: Function = Reflect::get(&global, &"setTimeout".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let callback = Closure::once(f);
        let delay = JsValue::from_f64(ms.min(i32::MAX as u64) as f64);
        let handle = set_timeout.call2(&global, callback.as_ref(), &delay).ok()?;
        Some(Timeout {
            handle,
            _callback: callback,
        })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        let global = js_sys::global();
        if let Ok(clear) =
            Reflect::get(&global, &"clearTimeout".into()).and_then(|f| f.dyn_into::<Function>())
        {
            let _ = clear.call1(&global, &self.handle);
        }
    }
}

/// Waits `ms` milliseconds (at once when the scope has no timers).
#[cfg(feature = "picker")]
pub(crate) async fn sleep(ms: u64) {
    let (tx, rx) = futures_channel::oneshot::channel();
    let _timer = Timeout::new(ms, move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn a_timeout_fires_on_time_and_a_dropped_one_never() {
        let fired = Rc::new(Cell::new(false));
        let dropped = {
            let fired = fired.clone();
            Timeout::new(5, move || fired.set(true))
        };
        drop(dropped);
        let t0 = now_ms();
        let (tx, rx) = futures_channel::oneshot::channel();
        let _kept = Timeout::new(30, move || {
            let _ = tx.send(());
        });
        rx.await.unwrap();
        let t1 = now_ms();
        assert!(t1 >= t0 + 25, "{t0} → {t1}");
        assert!(!fired.get(), "a dropped timeout fired");
    }
}
