//! A cloud source's view: "Connect to <provider>" until the picker session is signed in, then the
//! folder browser (history and the trail of folders, filter or image search, sort, list or grid,
//! the folder's items with a checkbox on each file, more pages on demand) with the account and
//! "Sign out". Picking a file adds it to the selection like a local one (the same rules, the same
//! list below); unticking it takes it out. The state is `picker::cloud`'s; this is only its look.

mod items;

use crate::model::cloud::CloudSource;
use crate::model::cloud::browse::{Browse, BrowseAction, Layout, Sort, Status};
use crate::picker::Setup;
use crate::picker::cloud::{Cloud, Ending, SignIn};
use crate::picker::signin;
use crate::picker::state::PickerState;
use items::ItemsUi;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The view's own state: the folder's items (focus, rows drawn) and the search field.
pub(super) struct CloudUi {
    items: ItemsUi,
    search: NodeRef,
}

#[hook]
pub(super) fn use_cloud_ui() -> CloudUi {
    CloudUi {
        items: items::use_items_ui(),
        search: use_node_ref(),
    }
}

/// The source's name for people: `customSourceName` for the custom source, translated for the
/// generic ones, the brand otherwise.
pub(crate) fn label(setup: &Setup, source: CloudSource) -> String {
    match (&setup.opts.custom_source.name, source) {
        (Some(n), CloudSource::CustomSource) => n.clone(),
        _ => setup.text.get(source.label()).to_owned(),
    }
}

/// The view of `source`.
pub(super) fn view(
    setup: &Rc<Setup>,
    st: &PickerState,
    cloud: &Cloud,
    ui: &CloudUi,
    source: CloudSource,
) -> Html {
    let b = cloud.browsers.get(source);
    let body = match &b.status {
        Status::Unavailable => {
            let name = label(setup, source);
            html! { <p class="skiff-error">{ setup.text.fill("{provider} is not available on this server.", &[("provider", &name)]) }</p> }
        }
        Status::SignIn(offer) => connect(setup, cloud, source, offer),
        _ => browser(setup, st, cloud, ui, source, &b),
    };
    html! { <div class="skiff-cloud" data-source={source.name()}>{ body }</div> }
}

/// "Connect to <provider>": what is asked, the button that opens the popup, and how the last
/// try ended.
fn connect(
    setup: &Rc<Setup>,
    cloud: &Cloud,
    source: CloudSource,
    offer: &crate::model::cloud::wire::AuthOffer,
) -> Html {
    let t = &setup.text;
    let name = label(setup, source);
    let p = [("provider", name.as_str())];
    let waiting = *cloud.signin == SignIn::Waiting(source);
    let leaving = *cloud.signin == SignIn::Leaving(source);
    let ended = match *cloud.signin {
        SignIn::Ended(s, e) if s == source => Some(e),
        _ => None,
    };
    let message = ended.map(|e| match e {
        Ending::Blocked => t
            .get("The sign-in window was blocked. Allow pop-ups for this site and try again, or sign in in this tab.")
            .to_owned(),
        Ending::Closed => t
            .get("The sign-in window was closed before you finished.")
            .to_owned(),
        Ending::Denied => t.fill("Access was not granted at {provider}.", &p),
        Ending::Expired => t.get("The sign-in took too long and expired.").to_owned(),
        Ending::Failed => t
            .get("Signing in did not work. Please try again.")
            .to_owned(),
    });
    let onclick = {
        let (setup, cloud, offer) = (setup.clone(), cloud.clone(), offer.clone());
        // Opened inside the click, before anything is awaited, so no popup blocker steps in.
        Callback::from(move |_| signin::start(&setup, &cloud, source, &offer))
    };
    // A blocked popup (or an in-app browser that cannot open one) can sign in in this tab.
    let in_tab = (ended == Some(Ending::Blocked) || leaving).then(|| {
        let (setup, cloud) = (setup.clone(), cloud.clone());
        let onclick = Callback::from(move |_| signin::start_in_tab(&setup, &cloud, source));
        html! {
            <button type="button" class="skiff-btn skiff-in-tab" disabled={leaving} {onclick}>{ t.get("Sign in in this tab") }</button>
        }
    });
    let button = if ended.is_some() {
        t.get("Try again").to_owned()
    } else {
        t.fill("Connect to {provider}", &p)
    };
    html! {
        <div class="skiff-connect">
            { super::icons::icon(crate::model::picker_options::Source::Cloud(source), "skiff-icon skiff-source-icon") }
            <h3 class="skiff-lead">{ t.fill("Connect to {provider}", &p) }</h3>
            <p class="skiff-or">{ t.fill("This app asks to read your files in {provider}. It cannot change or delete them, and you can sign out at any time.", &p) }</p>
            <button type="button" class="skiff-btn skiff-primary skiff-connect-button" disabled={waiting || leaving} {onclick}>{ button }</button>
            { in_tab.unwrap_or_default() }
            <p class="skiff-hint">{ t.fill("A window opens where you sign in to {provider}. Come back here when you are done.", &p) }</p>
            if waiting {
                <p class="skiff-hint skiff-waiting" role="status">{ t.fill("Waiting for you to sign in to {provider}…", &p) }</p>
            }
            if leaving {
                <p class="skiff-hint skiff-waiting" role="status">{ t.fill("Opening {provider}’s sign-in page. You will come back here afterwards.", &p) }</p>
            }
            if let Some(m) = message {
                <p class="skiff-error skiff-signin-error" role="alert">{ m }</p>
            }
        </div>
    }
}

/// A small toolbar button with a picture and a name for screen readers.
fn tool(
    label: &str,
    glyph: &'static str,
    class: &'static str,
    disabled: bool,
    onclick: Callback<MouseEvent>,
) -> Html {
    html! {
        <button type="button" class={classes!("skiff-btn", "skiff-small", "skiff-tool", class)} aria-label={label.to_owned()} title={label.to_owned()} {disabled} {onclick}>
            <span aria-hidden="true">{ glyph }</span>
        </button>
    }
}

/// The folder browser.
fn browser(
    setup: &Rc<Setup>,
    st: &PickerState,
    cloud: &Cloud,
    ui: &CloudUi,
    source: CloudSource,
    b: &Rc<Browse>,
) -> Html {
    let t = &setup.text;
    let send = |a: BrowseAction| {
        let cloud = cloud.clone();
        Callback::from(move |_| cloud.act(source, a.clone()))
    };
    let (can_back, can_forward) = b.can_go();
    let last = b.trail.len().saturating_sub(1);
    let crumbs = b.trail.iter().enumerate().map(|(i, c)| {
        let name = if c.name.is_empty() { label(setup, source) } else { c.name.clone() };
        html! {
            <li>
                if i == last {
                    <span class="skiff-crumb" aria-current="location">{ name }</span>
                } else {
                    <button type="button" class="skiff-crumb" onclick={send(BrowseAction::Up(i))}>{ name }</button>
                }
            </li>
        }
    });
    let find = if source.searches() {
        let onsubmit = {
            let (cloud, input) = (cloud.clone(), ui.search.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                if let Some(i) = input.cast::<HtmlInputElement>() {
                    cloud.act(source, BrowseAction::Search(i.value()));
                }
            })
        };
        html! {
            <form class="skiff-search" {onsubmit}>
                <input type="search" class="skiff-url-input skiff-search-input" ref={ui.search.clone()} aria-label={t.get("Search for images").to_owned()} placeholder={t.get("Search for images").to_owned()} />
                <button type="submit" class="skiff-btn skiff-small">{ t.get("Search") }</button>
            </form>
        }
    } else {
        let oninput = {
            let cloud = cloud.clone();
            Callback::from(move |e: InputEvent| {
                let v = e.target_unchecked_into::<HtmlInputElement>().value();
                cloud.act(source, BrowseAction::Filter(v));
            })
        };
        html! {
            <input type="search" class="skiff-url-input skiff-filter" value={b.filter.clone()} {oninput}
                aria-label={t.get("Filter this folder").to_owned()} placeholder={t.get("Filter this folder").to_owned()} />
        }
    };
    let onsort = {
        let cloud = cloud.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            let s = match v.as_str() {
                "size" => Sort::Size,
                "type" => Sort::Type,
                _ => Sort::Name,
            };
            cloud.act(source, BrowseAction::Sort(s));
        })
    };
    let sort_option = |value: &'static str, words: &str, s: Sort| {
        html! { <option {value} selected={b.sort == s}>{ t.get(words) }</option> }
    };
    let layout_button = |l: Layout, words: &str, glyph: &'static str, class: &'static str| {
        let onclick = send(BrowseAction::Layout(l));
        html! {
            <button type="button" class={classes!("skiff-btn", "skiff-small", "skiff-tool", class)} aria-pressed={(b.layout == l).to_string()}
                aria-label={t.get(words).to_owned()} title={t.get(words).to_owned()} {onclick}><span aria-hidden="true">{ glyph }</span></button>
        }
    };
    let order = ui.items.order(source, b);
    let files: Vec<&str> = order
        .iter()
        .map(|n| &b.items[*n])
        .filter(|i| !i.folder)
        .map(|i| i.path.as_str())
        .collect();
    let all_picked = !files.is_empty()
        && files
            .iter()
            .all(|p| st.sel.0.cloud_entry(source, p).is_some());
    let select_all = {
        // The folder is read when the box is ticked, not copied at every render.
        let (st, b, order) = (st.clone(), b.clone(), order.clone());
        Callback::from(move |_| (st.add_cloud)(source, items::unpicked(&st, source, &b, &order)))
    };
    let loading = matches!(b.status, Status::Loading | Status::LoadingMore);
    let status_line = match &b.status {
        Status::Loading => {
            Some(html! { <p class="skiff-hint skiff-loading">{ t.get("Loading…") }</p> })
        }
        Status::Failed(f) => Some(html! {
            <div class="skiff-row skiff-list-error" role="alert">
                <p class="skiff-error">{ t.get(f.sentence()) }</p>
                <button type="button" class="skiff-btn skiff-small skiff-retry-list" onclick={send(BrowseAction::Show)}>{ t.get("Try again") }</button>
            </div>
        }),
        Status::Ready
            if b.items.is_empty()
                && b.pick_url.is_none()
                && !(source.searches() && b.trail.len() == 1) =>
        {
            Some(html! { <p class="skiff-hint skiff-empty">{ t.get("This folder is empty") }</p> })
        }
        Status::Ready if order.is_empty() && !b.filter.trim().is_empty() => Some(html! {
            <p class="skiff-hint skiff-empty">{ t.fill("Nothing in this folder matches “{filter}”", &[("filter", b.filter.trim())]) }</p>
        }),
        _ => None,
    };
    let pick = b.pick_url.clone().map(|url| {
        let onclick = Callback::from(move |_| {
            if let Some(w) = web_sys::window() {
                let _ = w.open_with_url_and_target_and_features(&url, "skiff-pick", "popup=yes,width=900,height=700");
            }
        });
        html! {
            <div class="skiff-pick">
                <button type="button" class="skiff-btn skiff-primary skiff-pick-button" {onclick}>{ t.get("Choose in Google Photos") }</button>
                <p class="skiff-hint">{ t.get("Google Photos opens in a new window. Choose your photos there, then come back here.") }</p>
            </div>
        }
    });
    let sign_out = {
        let (cloud, setup) = (cloud.clone(), setup.clone());
        Callback::from(move |_| cloud.sign_out(&setup, source))
    };
    let here = match b.here().name.as_str() {
        "" => label(setup, source),
        name => name.to_owned(),
    };
    html! {
        <div class="skiff-browser" data-layout={if b.layout == Layout::Grid { "grid" } else { "list" }}>
            <div class="skiff-toolbar">
                { tool(t.get("Back"), "‹", "skiff-back", !can_back, send(BrowseAction::Back)) }
                { tool(t.get("Forward"), "›", "skiff-forward", !can_forward, send(BrowseAction::Forward)) }
                <nav class="skiff-crumbs" aria-label={t.get("Folder path").to_owned()}><ol>{ for crumbs }</ol></nav>
                { tool(t.get("Refresh"), "↻", "skiff-refresh", loading, send(BrowseAction::Refresh)) }
            </div>
            <div class="skiff-toolbar">
                { find }
                <select class="skiff-sort" aria-label={t.get("Sort by").to_owned()} title={t.get("Sort by").to_owned()} onchange={onsort}>
                    { sort_option("name", "Name", Sort::Name) }
                    { sort_option("size", "Size", Sort::Size) }
                    { sort_option("type", "Type", Sort::Type) }
                </select>
                { layout_button(Layout::List, "List view", "☰", "skiff-list-view") }
                { layout_button(Layout::Grid, "Grid view", "▦", "skiff-grid-view") }
            </div>
            if let Some(a) = &b.account {
                <div class="skiff-account">
                    <span>{ t.fill("Signed in as {account}", &[("account", a)]) }</span>
                    <button type="button" class="skiff-btn skiff-small skiff-sign-out" onclick={sign_out}>{ t.get("Sign out") }</button>
                </div>
            }
            { pick.unwrap_or_default() }
            // "Select all" only where more than one file may be picked.
            if setup.opts.max_files > 1 && !files.is_empty() {
                <label class="skiff-select-all">
                    <input type="checkbox" checked={all_picked} disabled={all_picked} onchange={select_all} />
                    { t.get("Select all") }
                </label>
            }
            { items::listbox(setup, st, cloud, &ui.items, source, b, order, here) }
            // One node whether there is a line or not: Yew matches unkeyed children from the
            // end, so a child that comes and goes would make it rebuild the toolbars above it
            // (and lose what was typed in the search field).
            { status_line.unwrap_or_default() }
            if b.status == Status::LoadingMore {
                <p class="skiff-hint skiff-loading">{ t.get("Loading…") }</p>
            } else if b.next.is_some() && b.status == Status::Ready {
                <button type="button" class="skiff-btn skiff-small skiff-more" onclick={send(BrowseAction::More)}>{ t.get("Load more") }</button>
            }
            <p class="skiff-hint skiff-item-count" aria-live="polite">{ t.fill("{count} items", &[("count", &b.items.len().to_string())]) }</p>
        </div>
    }
}
