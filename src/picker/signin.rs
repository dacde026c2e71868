//! Signing in to a cloud source (docs/protocol.md §7.3). The listing hands out the sign-in page
//! before the click, so the click opens the popup at once (a popup opened after an `await` is
//! blocked). How it ended is learnt three ways, because a provider's pages may cut the popup's
//! link to the picker (`Cross-Origin-Opener-Policy`): the callback page's message (only from the
//! server's origin, about this flow), polling the flow's status, and listing again when the page
//! gets the focus back. `popup.closed` is only a hint: the popup counts as closed by the person
//! after several polls that found it closed and the flow unfinished.

use super::Setup;
use super::cloud::{Cloud, Ending, Pending, SignIn, call, endpoint, list};
use crate::model::cloud::CloudSource;
use crate::model::cloud::browse::BrowseAction;
use crate::model::cloud::wire::{self, AuthOffer, AuthState, Listing};
use crate::web::clock::sleep;
use crate::web::js_value::from_js;
use crate::web::listener::Listener;
use crate::web::{cloud_api, cloud_token, redirect};
use serde_json::Value;
use skiff_protocol::routes;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::MessageEvent;
use yew::prelude::*;

/// How often the flow's status is asked for, ms.
const POLL_MS: u64 = 1_500;
/// Polls that find the popup closed and the flow unfinished before the sign-in counts as
/// abandoned (a closed-looking popup may be a cut opener link).
const CLOSED_POLLS: u32 = 3;

/// Opens the sign-in popup for `offer` (call it inside the click) and watches the flow.
pub(crate) fn start(setup: &Rc<Setup>, cloud: &Cloud, source: CloudSource, offer: &AuthOffer) {
    let popup = web_sys::window().and_then(|w| {
        w.open_with_url_and_target_and_features(
            &offer.redirect_url,
            "skiff-auth",
            "popup=yes,width=520,height=680",
        )
        .ok()
        .flatten()
    });
    let Some(popup) = popup else {
        cloud.signin.set(SignIn::Ended(source, Ending::Blocked));
        return;
    };
    *cloud.pending.borrow_mut() = Some(Pending {
        source,
        flow: offer.flow.clone(),
        popup: popup.clone(),
    });
    cloud.signin.set(SignIn::Waiting(source));
    let (setup, cloud, flow) = (setup.clone(), cloud.clone(), offer.flow.clone());
    spawn_local(async move {
        let mut closed = 0;
        loop {
            sleep(POLL_MS).await;
            if !watching(&cloud, &flow) {
                return;
            }
            let body = wire::status_body(&call(&setup), &flow);
            let url = endpoint(&setup, routes::CLOUD_AUTH_STATUS);
            let state = match cloud_api::post(&url, &body, None).await {
                Ok(v) => wire::auth_state(v.get("status").and_then(Value::as_str).unwrap_or("")),
                // The server does not know the flow (another session's, or gone).
                Err(f) if f.status == Some(404) => AuthState::Failed,
                // A network blip: ask again.
                Err(_) => AuthState::Waiting,
            };
            if state == AuthState::Waiting {
                closed = if popup.closed().unwrap_or(false) {
                    closed + 1
                } else {
                    0
                };
                if closed < CLOSED_POLLS {
                    continue;
                }
                finish(&cloud, source, None);
                return;
            }
            if watching(&cloud, &flow) {
                finish(&cloud, source, Some(state));
            }
            return;
        }
    });
}

/// Signs in to `source` in this tab (when a popup cannot open): lists the source again with this
/// page as the address to come back to, keeps the session token for the return, and leaves.
pub(crate) fn start_in_tab(setup: &Rc<Setup>, cloud: &Cloud, source: CloudSource) {
    cloud.pending.borrow_mut().take();
    cloud.signin.set(SignIn::Leaving(source));
    let (setup, cloud) = (setup.clone(), cloud.clone());
    spawn_local(async move {
        let Some(appurl) = redirect::appurl() else {
            cloud.signin.set(SignIn::Ended(source, Ending::Failed));
            return;
        };
        match list(&setup, source, "/", None, Some(&appurl)).await {
            Ok(Listing::SignIn(offer)) => {
                cloud_token::keep_for_return(&setup.client.apikey);
                if !redirect::go(&offer.redirect_url) {
                    cloud.signin.set(SignIn::Ended(source, Ending::Failed));
                }
            }
            // Signed in meanwhile (in another tab): just show the files.
            Ok(Listing::Page(_)) => {
                cloud.signin.set(SignIn::Idle);
                cloud.act(source, BrowseAction::Refresh);
            }
            Err(_) => cloud.signin.set(SignIn::Ended(source, Ending::Failed)),
        }
    });
}

/// How a sign-in in this tab ended, from the address the server sent the tab back to (`None`:
/// it worked, or the page is not back from one).
pub(crate) fn returned_ending(outcome: Option<&str>) -> Option<Ending> {
    match outcome? {
        "denied" => Some(Ending::Denied),
        "expired" => Some(Ending::Expired),
        _ => Some(Ending::Failed),
    }
}

/// Whether `flow` is still the one watched.
fn watching(cloud: &Cloud, flow: &str) -> bool {
    cloud
        .pending
        .borrow()
        .as_ref()
        .is_some_and(|p| p.flow == flow)
}

/// Ends the watched sign-in to `source`: `None` when the person closed the popup. The source is
/// listed again either way: its files after a sign-in, a fresh sign-in offer otherwise.
fn finish(cloud: &Cloud, source: CloudSource, state: Option<AuthState>) {
    if let Some(p) = cloud.pending.borrow_mut().take() {
        if state != Some(AuthState::Done) {
            let _ = p.popup.close();
        }
    }
    let shown = match state {
        Some(AuthState::Done) => SignIn::Idle,
        None => SignIn::Ended(source, Ending::Closed),
        Some(AuthState::Denied) => SignIn::Ended(source, Ending::Denied),
        Some(AuthState::Expired) => SignIn::Ended(source, Ending::Expired),
        Some(_) => SignIn::Ended(source, Ending::Failed),
    };
    cloud.signin.set(shown);
    cloud.act(source, BrowseAction::Refresh);
}

/// The page's listeners while the picker is open: the popup's message, and the focus coming back
/// (list again the source being signed in to, and any folder filled by choosing elsewhere, as
/// Google Photos' is).
#[hook]
pub(crate) fn use_listeners(setup: Rc<Setup>, cloud: Cloud) {
    use_effect_with((), move |_| {
        let window = web_sys::window().expect("window");
        let server = web_sys::Url::new(&endpoint(&setup, "/"))
            .map(|u| u.origin())
            .unwrap_or_default();
        let on_message = {
            let cloud = cloud.clone();
            Listener::new(&window, "message", move |e| {
                let Some(m) = e.dyn_ref::<MessageEvent>() else {
                    return;
                };
                if m.origin() != server {
                    return;
                }
                let Ok(data) = from_js(&m.data(), "message") else {
                    return;
                };
                let pending = cloud
                    .pending
                    .borrow()
                    .as_ref()
                    .map(|p| (p.source, p.flow.clone()));
                if let Some((source, flow)) = pending {
                    match wire::auth_message(&data, &flow) {
                        None | Some(AuthState::Waiting) => {}
                        Some(state) => finish(&cloud, source, Some(state)),
                    }
                }
            })
        };
        let sources = cloud.browsers.sources();
        let on_focus = Listener::new(&window, "focus", move |_| {
            let waiting = cloud.pending.borrow().as_ref().map(|p| p.source);
            if let Some(source) = waiting {
                cloud.act(source, BrowseAction::Refresh);
            }
            for source in &sources {
                if waiting != Some(*source) {
                    cloud.act(*source, BrowseAction::Focus);
                }
            }
        });
        move || drop((on_message, on_focus))
    });
}
