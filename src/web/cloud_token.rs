//! The picker's Cloud API session token, kept as filestack-js keeps it: in memory for the page's
//! life, and with `sessionCache: true` also in `localStorage["__fs_picker_token"]` (the same key,
//! so a page moving from filestack-js to Skiff keeps its sessions), so reopening the picker or
//! reloading the page does not ask for a sign-in again. Memory is per app key; the stored token is
//! one, as filestack-js's is, and a token of another app is refused by the server, which then
//! hands out a new one.

use std::cell::RefCell;

/// filestack-js's key in `localStorage`.
const KEY: &str = "__fs_picker_token";

thread_local! {
    static TOKENS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The app's token: from memory, else (with `cache`) from `localStorage`.
pub(crate) fn get(apikey: &str, cache: bool) -> Option<String> {
    let kept = TOKENS.with(|t| {
        t.borrow()
            .iter()
            .find(|(k, _)| k == apikey)
            .map(|(_, v)| v.clone())
    });
    kept.or_else(|| {
        cache
            .then(storage)
            .flatten()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .filter(|t| !t.is_empty())
    })
}

/// Keeps the app's token (`None`: the session ended, forget it).
pub(crate) fn set(apikey: &str, token: Option<&str>, cache: bool) {
    TOKENS.with(|t| {
        let mut t = t.borrow_mut();
        t.retain(|(k, _)| k != apikey);
        if let Some(v) = token {
            t.push((apikey.to_owned(), v.to_owned()));
        }
    });
    if let Some(s) = cache.then(storage).flatten() {
        let _ = match token {
            Some(v) => s.set_item(KEY, v),
            None => s.remove_item(KEY),
        };
    }
}
