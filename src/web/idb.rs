//! A small key-value store in IndexedDB (database `skiff`, object store `uploads`, string keys and
//! values): where the uploader keeps its checkpoints across page loads. Written on web-sys's
//! bindings directly: a wrapper crate would add more wasm than these few calls. Works in windows
//! and workers (`indexedDB` of the global scope); where there is none (some private modes), or it
//! refuses, every call says why and the uploader goes on without it.

use js_sys::{Promise, Reflect};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransactionMode,
};

const DATABASE: &str = "skiff";
const STORE: &str = "uploads";

/// The open database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    db: IdbDatabase,
}

/// An open request under way or done, with what it needs to run, and its [`settled`] promise.
#[derive(Debug)]
struct Opening {
    req: IdbOpenDbRequest,
    settled: Promise,
    _upgrade: Closure<dyn FnMut()>,
}

thread_local! {
    /// The page's connection, opened or being opened.
    static SHARED: RefCell<Option<Rc<Opening>>> = const { RefCell::new(None) };
}

fn describe(e: &JsValue) -> String {
    super::js_value::describe(e)
}

/// A promise that settles once `req` has succeeded or failed. It is never rejected, so that an
/// open begun ahead that nobody awaits leaves no unhandled rejection on the console.
fn settled(req: &IdbRequest) -> Promise {
    Promise::new(&mut |resolve, _| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&resolve));
    })
}

/// `req`'s `result` once `settled` (its [`settled`]) has, or why it failed.
async fn outcome(req: &IdbRequest, settled: Promise) -> Result<JsValue, String> {
    let _ = JsFuture::from(settled).await;
    match req.error() {
        Ok(Some(e)) => Err(e.message()),
        Ok(None) => req.result().map_err(|e| describe(&e)),
        Err(e) => Err(describe(&e)),
    }
}

/// Waits for `req` to succeed; its `result`, or why it failed.
async fn done(req: &IdbRequest) -> Result<JsValue, String> {
    outcome(req, settled(req)).await
}

impl Opening {
    /// Begins opening (creating on first use) the database: a new connection.
    fn begin() -> Result<Opening, String> {
        let factory: IdbFactory = Reflect::get(&js_sys::global(), &"indexedDB".into())
            .ok()
            .filter(|f| !f.is_undefined() && !f.is_null())
            .ok_or("this browser offers no IndexedDB here")?
            .unchecked_into();
        let req = factory
            .open_with_u32(DATABASE, 1)
            .map_err(|e| describe(&e))?;
        let creating = req.clone();
        let upgrade = Closure::once(move || {
            if let Ok(db) = creating.result() {
                let _ = db
                    .unchecked_into::<IdbDatabase>()
                    .create_object_store(STORE);
            }
        });
        req.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
        Ok(Opening {
            settled: settled(&req),
            req,
            _upgrade: upgrade,
        })
    }

    /// The database once the request has settled, or why it could not be opened.
    async fn store(&self) -> Result<Store, String> {
        let db = outcome(&self.req, self.settled.clone()).await?;
        Ok(Store {
            db: db.unchecked_into(),
        })
    }
}

impl Store {
    /// Opens (creating on first use) the database: a new connection (the tests' second one).
    #[cfg(test)]
    async fn open() -> Result<Store, String> {
        Opening::begin()?.store().await
    }

    /// The page's open request, begun unless it is under way or done.
    fn opening() -> Result<Rc<Opening>, String> {
        if let Some(o) = SHARED.with(|s| s.borrow().clone()) {
            return Ok(o);
        }
        let o = Rc::new(Opening::begin()?);
        SHARED.with(|s| *s.borrow_mut() = Some(o.clone()));
        Ok(o)
    }

    /// Begins opening the page's connection now, so that it is open by the time an upload
    /// looks for its kept upload: the first open in a page took 5-12 ms in Chromium (with the
    /// picker, about a fifth of the time from the pick to start). Nothing is said here if
    /// it fails; [`Store::shared`] says why.
    #[cfg(any(feature = "picker", test))]
    pub(crate) fn open_soon() {
        let _ = Store::opening();
    }

    /// The page's connection: opened on first use (or by [`Store::open_soon`]) and kept, so
    /// that each upload does not open the database again, and an open under way is awaited
    /// rather than begun twice. A failed open is tried again next time.
    pub(crate) async fn shared() -> Result<Store, String> {
        let opening = Store::opening()?;
        let store = opening.store().await;
        if store.is_err() {
            // Forgotten, unless another open has begun since.
            SHARED.with(|s| {
                let mut s = s.borrow_mut();
                if s.as_ref().is_some_and(|o| Rc::ptr_eq(o, &opening)) {
                    *s = None;
                }
            });
        }
        store
    }

    fn store(&self, mode: IdbTransactionMode) -> Result<IdbObjectStore, String> {
        self.db
            .transaction_with_str_and_mode(STORE, mode)
            .and_then(|t| t.object_store(STORE))
            .map_err(|e| describe(&e))
    }

    /// The value under `key`, if any.
    pub(crate) async fn get(&self, key: &str) -> Result<Option<String>, String> {
        let req = self
            .store(IdbTransactionMode::Readonly)?
            .get(&key.into())
            .map_err(|e| describe(&e))?;
        Ok(done(&req).await?.as_string())
    }

    /// Writes `value` under `key`.
    pub(crate) async fn put(&self, key: &str, value: &str) -> Result<(), String> {
        let req = self
            .store(IdbTransactionMode::Readwrite)?
            .put_with_key(&value.into(), &key.into())
            .map_err(|e| describe(&e))?;
        done(&req).await.map(drop)
    }

    /// Removes `key`.
    pub(crate) async fn delete(&self, key: &str) -> Result<(), String> {
        let req = self
            .store(IdbTransactionMode::Readwrite)?
            .delete(&key.into())
            .map_err(|e| describe(&e))?;
        done(&req).await.map(drop)
    }

    /// Removes everything.
    pub(crate) async fn clear(&self) -> Result<(), String> {
        let req = self
            .store(IdbTransactionMode::Readwrite)?
            .clear()
            .map_err(|e| describe(&e))?;
        done(&req).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    async fn keeps_replaces_removes_and_clears() {
        let store = Store::open().await.unwrap();
        store.clear().await.unwrap();
        assert_eq!(store.get("a").await.unwrap(), None);
        store.put("a", "1").await.unwrap();
        store.put("b", "2").await.unwrap();
        store.put("a", "3").await.unwrap();
        assert_eq!(store.get("a").await.unwrap().as_deref(), Some("3"));
        // Another connection sees what this one wrote.
        let again = Store::open().await.unwrap();
        assert_eq!(again.get("b").await.unwrap().as_deref(), Some("2"));
        store.delete("a").await.unwrap();
        assert_eq!(store.get("a").await.unwrap(), None);
        store.clear().await.unwrap();
        assert_eq!(again.get("b").await.unwrap(), None);
    }

    #[wasm_bindgen_test]
    async fn an_open_begun_ahead_serves_every_caller() {
        Store::open_soon();
        let (a, b) = futures_util::future::join(Store::shared(), Store::shared()).await;
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(js_sys::Object::is(&a.db, &b.db), "one connection, not two");
        let later = Store::shared().await.unwrap();
        assert!(js_sys::Object::is(&a.db, &later.db));
        a.put("shared", "1").await.unwrap();
        assert_eq!(later.get("shared").await.unwrap().as_deref(), Some("1"));
        later.delete("shared").await.unwrap();
    }
}
