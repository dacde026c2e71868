//! A small key-value store in IndexedDB (database `skiff`, object store `uploads`, string keys and
//! values): where the uploader keeps its checkpoints across page loads. Written on web-sys's
//! bindings directly: a wrapper crate would add more wasm than these few calls. Works in windows
//! and workers (`indexedDB` of the global scope); where there is none (some private modes), or it
//! refuses, every call says why and the uploader goes on without it.

use js_sys::{Promise, Reflect};
use std::cell::RefCell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbObjectStore, IdbRequest, IdbTransactionMode};

const DATABASE: &str = "skiff";
const STORE: &str = "uploads";

/// The open database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    db: IdbDatabase,
}

thread_local! {
    /// The page's connection, once opened.
    static SHARED: RefCell<Option<Store>> = const { RefCell::new(None) };
}

fn describe(e: &JsValue) -> String {
    super::js_value::describe(e)
}

/// Waits for `req` to succeed; its `result`, or why it failed.
async fn done(req: &IdbRequest) -> Result<JsValue, String> {
    let promise = Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    JsFuture::from(promise).await.map_err(|_| {
        req.error()
            .ok()
            .flatten()
            .map_or_else(|| "IndexedDB failed".to_owned(), |e| e.message())
    })?;
    req.result().map_err(|e| describe(&e))
}

impl Store {
    /// Opens (creating on first use) the database: a new connection.
    pub(crate) async fn open() -> Result<Store, String> {
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
        let db = done(&req).await?;
        req.set_onupgradeneeded(None);
        Ok(Store {
            db: db.unchecked_into(),
        })
    }

    /// The page's connection: opened on first use and kept, so that each upload does not open
    /// the database again. A failed open is tried again next time.
    pub(crate) async fn shared() -> Result<Store, String> {
        if let Some(store) = SHARED.with(|s| s.borrow().clone()) {
            return Ok(store);
        }
        let store = Store::open().await?;
        SHARED.with(|s| *s.borrow_mut() = Some(store.clone()));
        Ok(store)
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
}
