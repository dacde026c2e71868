//! The picker's Cloud API session token, kept as filestack-js keeps it: in memory for the page's
//! life, and with `sessionCache: true` also in `localStorage["__fs_picker_token"]` (the same key,
//! so a page moving from filestack-js to Skiff keeps its sessions), so reopening the picker or
//! reloading the page does not ask for a sign-in again. Memory is per app key; the stored token is
//! one, as filestack-js's is, and a token of another app is refused by the server, which then
//! hands out a new one. A sign-in in this tab (`web::redirect`) leaves the page, so the token
//! waits for the return in `sessionStorage` under the same key (this tab only, gone when it
//! closes), as filestack-js's redirect mode keeps it.

use std::cell::RefCell;
use web_sys::Storage;

/// filestack-js's key in both storages.
const KEY: &str = "__fs_picker_token";

thread_local! {
    static TOKENS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn tab() -> Option<Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn read(s: Option<Storage>) -> Option<String> {
    s?.get_item(KEY).ok().flatten().filter(|t| !t.is_empty())
}

fn write(s: Option<Storage>, token: Option<&str>) {
    if let Some(s) = s {
        let _ = match token {
            Some(v) => s.set_item(KEY, v),
            None => s.remove_item(KEY),
        };
    }
}

/// The app's token: from memory, else from this tab's storage (back from a sign-in in this tab),
/// else (with `cache`) from `localStorage`.
pub(crate) fn get(apikey: &str, cache: bool) -> Option<String> {
    let kept = TOKENS.with(|t| {
        t.borrow()
            .iter()
            .find(|(k, _)| k == apikey)
            .map(|(_, v)| v.clone())
    });
    kept.or_else(|| read(tab()))
        .or_else(|| cache.then(local).flatten().and_then(|s| read(Some(s))))
}

/// Keeps the app's token (`None`: the session ended, forget it). The copy in this tab's storage,
/// if there is one, follows: the server rotates tokens.
pub(crate) fn set(apikey: &str, token: Option<&str>, cache: bool) {
    TOKENS.with(|t| {
        let mut t = t.borrow_mut();
        t.retain(|(k, _)| k != apikey);
        if let Some(v) = token {
            t.push((apikey.to_owned(), v.to_owned()));
        }
    });
    if cache {
        write(local(), token);
    }
    if read(tab()).is_some() {
        write(tab(), token);
    }
}

/// Keeps the app's token in this tab's storage, before the tab leaves for a sign-in.
pub(crate) fn keep_for_return(apikey: &str) {
    if let Some(t) = get(apikey, false) {
        write(tab(), Some(&t));
    }
}
