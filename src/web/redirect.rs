//! Signing in in this tab (redirect mode, docs/protocol.md §7.3): where a popup cannot open (a
//! blocker, an in-app browser), the whole tab goes to the provider and the server sends it back to
//! this page with `fs-tab=<source>` (and `skiff-auth=<how it ended>` when it did not work), as
//! filestack-js's redirect mode does. Nothing secret rides in the address: the picker's session
//! token waits in `sessionStorage` (`web::cloud_token`).

use web_sys::Url;

/// The parameter naming the source to show on return (filestack-js's name).
const TAB: &str = "fs-tab";
/// The parameter saying how a sign-in that did not work ended (Skiff's).
const OUTCOME: &str = "skiff-auth";

fn href() -> Option<String> {
    web_sys::window()?.location().href().ok()
}

/// The address the sign-in comes back to: this page, with `fs-tab=init`, which the server
/// replaces with the source's name.
pub(crate) fn appurl() -> Option<String> {
    let u = Url::new(&href()?).ok()?;
    u.search_params().delete(OUTCOME);
    u.search_params().set(TAB, "init");
    Some(u.href())
}

/// Sends this tab to `url`.
pub(crate) fn go(url: &str) -> bool {
    web_sys::window().is_some_and(|w| w.location().assign(url).is_ok())
}

/// Back from a sign-in in this tab: the source named by `fs-tab` and, when it did not work, how it
/// ended. Both parameters are taken out of the address (without a reload), so a reload or a
/// bookmark does not replay them.
pub(crate) fn returned() -> Option<(String, Option<String>)> {
    let u = Url::new(&href()?).ok()?;
    let q = u.search_params();
    let tab = q.get(TAB).filter(|t| t != "init")?;
    let outcome = q.get(OUTCOME);
    q.delete(TAB);
    q.delete(OUTCOME);
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&u.href()));
    }
    Some((tab, outcome))
}
