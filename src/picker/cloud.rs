//! The picker's cloud sources: one folder browser per cloud source in `fromSources` (the pure
//! [`Browse`] state, behind a reducer), the listings the browsers ask for (fetched by an effect
//! from what [`Browse::want`] names), the sign-in's state as the views show it, and sign-out.
//! The sign-in flow itself and its page listeners are in `signin`, the views in
//! `sources/cloud.rs`; imports of picked cloud files run in `uploads`.

use super::Setup;
use crate::model::accept::AcceptRule;
use crate::model::cloud::CloudSource;
use crate::model::cloud::browse::{Browse, BrowseAction, Want};
use crate::model::cloud::wire::{self, Call, Listing};
use crate::model::failure::Failure;
use crate::model::picker_options::Source;
use crate::web::{cloud_api, cloud_token};
use skiff_protocol::routes;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::Window;
use yew::prelude::*;

/// Every cloud source's browser (the `Rc`s keep a change of one from copying the others).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Browsers(Vec<(CloudSource, Rc<Browse>)>);

impl Browsers {
    /// The browser of `source`.
    pub(crate) fn get(&self, source: CloudSource) -> Rc<Browse> {
        self.0
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    }

    /// The sources, in the picker's order.
    pub(crate) fn sources(&self) -> Vec<CloudSource> {
        self.0.iter().map(|(s, _)| *s).collect()
    }
}

impl Reducible for Browsers {
    type Action = (CloudSource, BrowseAction);
    fn reduce(self: Rc<Self>, (source, action): Self::Action) -> Rc<Self> {
        let mut all = self.0.clone();
        if let Some((_, b)) = all.iter_mut().find(|(s, _)| *s == source) {
            *b = Rc::new((**b).clone().reduce(action));
        }
        Rc::new(Browsers(all))
    }
}

/// How a sign-in ended, when it did not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The browser blocked the popup.
    Blocked,
    /// The person closed the popup before finishing.
    Closed,
    /// The person said no at the provider.
    Denied,
    /// The flow ran out of time.
    Expired,
    /// Something else went wrong.
    Failed,
}

/// The sign-in as the views show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignIn {
    /// None running.
    Idle,
    /// The popup is open for this source.
    Waiting(CloudSource),
    /// The tab is about to leave for this source's sign-in page.
    Leaving(CloudSource),
    /// The last sign-in to this source did not work.
    Ended(CloudSource, Ending),
}

/// The sign-in flow being watched (`signin`).
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) source: CloudSource,
    pub(crate) flow: String,
    pub(crate) popup: Window,
}

/// The picker's cloud state and what changes it (cheap to clone).
#[derive(Clone)]
pub(crate) struct Cloud {
    /// The browsers.
    pub(crate) browsers: UseReducerHandle<Browsers>,
    /// The sign-in in progress, or how the last one ended (shown on its source's connect view).
    pub(crate) signin: UseStateHandle<SignIn>,
    /// The sign-in flow being watched (read by the watchers, which outlive renders).
    pub(crate) pending: Rc<RefCell<Option<Pending>>>,
}

impl Cloud {
    /// Changes the browser of `source`.
    pub(crate) fn act(&self, source: CloudSource, action: BrowseAction) {
        self.browsers.dispatch((source, action));
    }

    /// A listing of `source` worked: a sign-in to it is over, however it was learnt.
    pub(crate) fn connected(&self, source: CloudSource) {
        let was = self
            .pending
            .borrow()
            .as_ref()
            .is_some_and(|p| p.source == source);
        if was {
            self.pending.borrow_mut().take();
            self.signin.set(SignIn::Idle);
        }
    }

    /// Signs out of `source`: the server revokes the grant, the browser goes back to the sign-in.
    pub(crate) fn sign_out(&self, setup: &Rc<Setup>, source: CloudSource) {
        let (this, setup) = (self.clone(), setup.clone());
        spawn_local(async move {
            let body = wire::logout_body(&call(&setup), source);
            let url = endpoint(&setup, routes::CLOUD_LOGOUT);
            if let Err(f) = cloud_api::post(&url, &body, None).await {
                // The browser lists again either way: what the server says then is the truth.
                crate::web::js_value::console_warn(&f.detail);
            }
            this.act(source, BrowseAction::SignedOut);
        });
    }
}

/// The calls' common fields: the app, its picker session, its policy.
pub(crate) fn call(setup: &Setup) -> Call {
    let c = &setup.client;
    Call {
        apikey: c.apikey.clone(),
        token: cloud_token::get(&c.apikey, c.session_cache),
        security: c
            .security
            .as_ref()
            .map(|s| (s.policy.clone(), s.signature.clone())),
    }
}

/// The URL of a Cloud API path.
pub(crate) fn endpoint(setup: &Setup, path: &str) -> String {
    format!("{}{path}", setup.client.urls.cloud_api)
}

/// Lists the page of `path` after `next` (the first without); with `appurl`, a sign-in it offers comes back to that page
/// instead of a popup (redirect mode).
pub(crate) async fn list(
    setup: &Setup,
    source: CloudSource,
    path: &str,
    next: Option<&str>,
    appurl: Option<&str>,
) -> Result<Listing, Failure> {
    let accept: Vec<String> = setup.opts.accept.iter().map(AcceptRule::written).collect();
    let body = wire::list_body(
        &call(setup),
        source,
        path,
        next,
        &accept,
        &setup.opts.custom_source,
        appurl,
    );
    let answer = cloud_api::post(&endpoint(setup, routes::CLOUD_LIST), &body, None).await?;
    let (token, listing) =
        wire::parse_list(&answer, source).map_err(|m| Failure::local(None, m))?;
    if let Some(t) = token {
        let c = &setup.client;
        cloud_token::set(&c.apikey, Some(&t), c.session_cache);
    }
    Ok(listing)
}

/// The cloud state of one picker, with the effect that fetches what the browsers want; `first` is
/// how a sign-in in this tab ended, when the page is back from one. (The sign-in's page
/// listeners are `signin::use_listeners`, next to this in the sources' UI.)
#[hook]
pub(crate) fn use_cloud(setup: Rc<Setup>, first: SignIn) -> Cloud {
    let sources: Vec<CloudSource> = setup
        .opts
        .from_sources
        .iter()
        .filter_map(|s| match s {
            Source::Cloud(c) => Some(*c),
            _ => None,
        })
        .collect();
    let browsers = use_reducer(|| {
        Browsers(
            sources
                .iter()
                .map(|s| (*s, Rc::new(Browse::default())))
                .collect(),
        )
    });
    let cloud = Cloud {
        browsers,
        signin: use_state(|| first),
        pending: use_mut_ref(|| None),
    };
    // Requests in flight, so a render while one runs does not send it again.
    let inflight = use_mut_ref(Vec::<(CloudSource, Want)>::new);
    let wants: Vec<(CloudSource, Want)> = cloud
        .browsers
        .0
        .iter()
        .filter_map(|(s, b)| b.want().map(|w| (*s, w)))
        .collect();
    {
        let (cloud, setup) = (cloud.clone(), setup.clone());
        use_effect_with(wants, move |wants| {
            let mut running = inflight.borrow_mut();
            running.retain(|w| wants.contains(w));
            for (source, want) in wants.iter().cloned() {
                if running.contains(&(source, want.clone())) {
                    continue;
                }
                running.push((source, want.clone()));
                let (cloud, setup) = (cloud.clone(), setup.clone());
                spawn_local(async move {
                    let answer = list(&setup, source, &want.path, want.next.as_deref(), None).await;
                    if matches!(answer, Ok(Listing::Page(_))) {
                        // A folder that lists is a sign-in that worked, however it was learnt.
                        cloud.connected(source);
                    }
                    cloud.act(source, BrowseAction::Answer(want.request, answer));
                });
            }
        });
    }
    cloud
}
