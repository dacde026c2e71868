//! A cloud source's view: "Connect to <provider>" until the picker session is signed in, then the
//! folder browser (history and the trail of folders, filter or image search, sort, list or grid,
//! the folder's items with a checkbox on each file, more pages on demand) with the account and
//! "Sign out". Picking a file adds it to the selection like a local one (the same rules, the same
//! list below); unticking it takes it out. The state is `picker::cloud`'s; this is only its look.

use crate::model::cloud::CloudSource;
use crate::model::cloud::browse::{Browse, BrowseAction, Crumb, Layout, Sort, Status};
use crate::model::cloud::wire::CloudItem;
use crate::model::selection::{Action, Phase};
use crate::model::text::{Text, human_size};
use crate::picker::Setup;
use crate::picker::cloud::Cloud;
use crate::picker::rows;
use crate::picker::signin::{self, Ending, SignIn};
use crate::picker::state::PickerState;
use std::rc::Rc;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

/// The view's own state: which item has the keyboard focus, and the search field.
pub(super) struct CloudUi {
    focus: UseStateHandle<usize>,
    list: NodeRef,
    search: NodeRef,
}

#[hook]
pub(super) fn use_cloud_ui() -> CloudUi {
    CloudUi {
        focus: use_state(|| 0),
        list: use_node_ref(),
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
    let ended = match *cloud.signin {
        SignIn::Ended(s, e) if s == source => Some(e),
        _ => None,
    };
    let message = ended.map(|e| match e {
        Ending::Blocked => t
            .get("The sign-in window was blocked. Allow pop-ups for this site and try again.")
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
    let button = if ended.is_some() {
        t.get("Try again").to_owned()
    } else {
        t.fill("Connect to {provider}", &p)
    };
    html! {
        <div class="skiff-connect">
            <svg class="skiff-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 18a5 5 0 0 1-.6-9.96A6 6 0 0 1 18 9a4.5 4.5 0 0 1-.5 9H7z" /></svg>
            <h3 class="skiff-lead">{ t.fill("Connect to {provider}", &p) }</h3>
            <p class="skiff-or">{ t.fill("This app asks to read your files in {provider}. It cannot change or delete them, and you can sign out at any time.", &p) }</p>
            <button type="button" class="skiff-btn skiff-primary skiff-connect-button" disabled={waiting} {onclick}>{ button }</button>
            <p class="skiff-hint">{ t.fill("A window opens where you sign in to {provider}. Come back here when you are done.", &p) }</p>
            if waiting {
                <p class="skiff-hint skiff-waiting" role="status">{ t.fill("Waiting for you to sign in to {provider}…", &p) }</p>
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
    let shown = b.shown(&fold_case);
    let files: Vec<&CloudItem> = shown.iter().copied().filter(|i| !i.folder).collect();
    let all_picked = !files.is_empty()
        && files
            .iter()
            .all(|i| st.sel.0.cloud_entry(source, &i.path).is_some());
    let select_all = {
        // The folder is read when the box is ticked, not copied at every render.
        let (st, b) = (st.clone(), b.clone());
        Callback::from(move |_| {
            let new: Vec<CloudItem> = b
                .shown(&fold_case)
                .into_iter()
                .filter(|i| !i.folder && st.sel.0.cloud_entry(source, &i.path).is_none())
                .cloned()
                .collect();
            (st.add_cloud)(source, new);
        })
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
        Status::Ready if shown.is_empty() && !b.filter.trim().is_empty() => Some(html! {
            <p class="skiff-hint skiff-empty">{ t.fill("Nothing in this folder matches “{filter}”", &[("filter", b.filter.trim())]) }</p>
        }),
        _ => None,
    };
    let focus = (*ui.focus).min(shown.len().saturating_sub(1));
    let items = shown
        .iter()
        .enumerate()
        .map(|(i, item)| item_view(setup, st, cloud, ui, source, item, i, i == focus));
    let onkeydown = keys(st, cloud, ui, source, b);
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
            { for pick }
            // "Select all" only where more than one file may be picked.
            if setup.opts.max_files > 1 && !files.is_empty() {
                <label class="skiff-select-all">
                    <input type="checkbox" checked={all_picked} disabled={all_picked} onchange={select_all} />
                    { t.get("Select all") }
                </label>
            }
            <div class="skiff-items" role="listbox" aria-multiselectable="true" aria-label={here} aria-busy={loading.to_string()}
                tabindex="-1" ref={ui.list.clone()} {onkeydown}>
                { for items }
            </div>
            { for status_line }
            if b.status == Status::LoadingMore {
                <p class="skiff-hint skiff-loading">{ t.get("Loading…") }</p>
            } else if b.next.is_some() && b.status == Status::Ready {
                <button type="button" class="skiff-btn skiff-small skiff-more" onclick={send(BrowseAction::More)}>{ t.get("Load more") }</button>
            }
            <p class="skiff-hint skiff-item-count" aria-live="polite">{ t.fill("{count} items", &[("count", &b.items.len().to_string())]) }</p>
        </div>
    }
}

/// Lower case as the browser does it (`String.prototype.toLowerCase`; see [`Browse::shown`]).
fn fold_case(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

/// Ticks or unticks a file: adds it to the selection, or takes it out.
fn toggle(st: &PickerState, source: CloudSource, item: &CloudItem) {
    match st.sel.0.cloud_entry(source, &item.path) {
        Some(e) => st.act.emit(Action::Remove(e.id)),
        None => (st.add_cloud)(source, vec![item.clone()]),
    }
}

/// Opens a folder item, or ticks a file.
fn choose(st: &PickerState, cloud: &Cloud, source: CloudSource, item: &CloudItem) {
    if item.folder {
        cloud.act(
            source,
            BrowseAction::Open(Crumb {
                name: item.name.clone(),
                path: item.path.clone(),
            }),
        );
    } else {
        toggle(st, source, item);
    }
}

/// The listbox's keys: arrows, Home and End move the focus (roving: one item is in the tab
/// order), Enter opens a folder or ticks a file, Space ticks, Backspace goes up a folder.
fn keys(
    st: &PickerState,
    cloud: &Cloud,
    ui: &CloudUi,
    source: CloudSource,
    b: &Rc<Browse>,
) -> Callback<KeyboardEvent> {
    let (st, cloud, focus, list) = (st.clone(), cloud.clone(), ui.focus.clone(), ui.list.clone());
    let b = b.clone();
    Callback::from(move |e: KeyboardEvent| {
        // The items as shown, read on a key press rather than copied at every render.
        let items = b.shown(&fold_case);
        let n = items.len();
        if n == 0 {
            return;
        }
        let at = (*focus).min(n - 1);
        let grid = list
            .cast::<HtmlElement>()
            .and_then(|l| l.closest("[data-layout=grid]").ok().flatten())
            .is_some();
        // In the grid, up and down move by a row of tiles.
        let row = if grid { columns(&list).max(1) } else { 1 };
        let to = match e.key().as_str() {
            "ArrowDown" => Some((at + row).min(n - 1)),
            "ArrowUp" => Some(at.saturating_sub(row)),
            "ArrowRight" if grid => Some((at + 1).min(n - 1)),
            "ArrowLeft" if grid => Some(at.saturating_sub(1)),
            "Home" => Some(0),
            "End" => Some(n - 1),
            "Enter" => {
                e.prevent_default();
                choose(&st, &cloud, source, items[at]);
                None
            }
            " " => {
                e.prevent_default();
                if !items[at].folder {
                    toggle(&st, source, items[at]);
                }
                None
            }
            "Backspace" => {
                e.prevent_default();
                cloud.act(source, BrowseAction::Back);
                None
            }
            _ => None,
        };
        if let Some(to) = to {
            e.prevent_default();
            focus.set(to);
            focus_item(&list, to);
        }
    })
}

/// How many tiles a grid row holds (from where the tiles are laid out).
fn columns(list: &NodeRef) -> usize {
    let Some(l) = list.cast::<HtmlElement>() else {
        return 1;
    };
    let kids = l.children();
    let top = kids.item(0).map(|k| k.get_bounding_client_rect().top());
    (0..kids.length())
        .take_while(|i| kids.item(*i).map(|k| k.get_bounding_client_rect().top()) == top)
        .count()
}

/// Moves the keyboard focus to item `i`.
fn focus_item(list: &NodeRef, i: usize) {
    if let Some(el) = list
        .cast::<HtmlElement>()
        .and_then(|l| l.children().item(i as u32))
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
    {
        let _ = el.focus();
    }
}

/// One item of the folder.
#[allow(clippy::too_many_arguments)]
fn item_view(
    setup: &Setup,
    st: &PickerState,
    cloud: &Cloud,
    ui: &CloudUi,
    source: CloudSource,
    item: &CloudItem,
    index: usize,
    focused: bool,
) -> Html {
    let t = &setup.text;
    let entry = st.sel.0.cloud_entry(source, &item.path);
    let picked = entry.is_some_and(|e| !matches!(e.phase, Phase::Refused(_)));
    let refusal = entry
        .filter(|e| matches!(e.phase, Phase::Refused(_)))
        .map(|e| rows::note(setup, e));
    let onclick = {
        let (st, cloud, item, focus) = (st.clone(), cloud.clone(), item.clone(), ui.focus.clone());
        Callback::from(move |_| {
            focus.set(index);
            choose(&st, &cloud, source, &item);
        })
    };
    let info = if item.folder {
        t.get("Folder").to_owned()
    } else {
        format!("{} · {}", human_size(item.size), item.mimetype)
    };
    let picture = picture(t, item, !setup.opts.disable_thumbnails);
    html! {
        <div class={classes!("skiff-item", item.folder.then_some("skiff-folder"), refusal.is_some().then_some("skiff-refused"))}
            role="option" aria-selected={(!item.folder).then(|| picked.to_string())} tabindex={if focused { "0" } else { "-1" }}
            data-path={item.path.clone()} key={item.path.clone()} {onclick}>
            if !item.folder {
                // A drawn box, not an <input>: a control inside an option would be a second,
                // nested focus target (the option's aria-selected says it to screen readers).
                <span class="skiff-check" aria-hidden="true"></span>
            }
            { picture }
            <span class="skiff-meta">
                <span class="skiff-file-name">{ &item.name }</span>
                <span class="skiff-file-info"><bdi dir="ltr">{ info }</bdi></span>
                if let Some(r) = refusal {
                    <span class="skiff-file-note skiff-bad">{ r }</span>
                }
            </span>
        </div>
    }
}

/// An item's picture: the source's thumbnail, loaded when it scrolls into view, over its type's
/// icon, which shows if the picture cannot be loaded or decoded.
fn picture(t: &Text, item: &CloudItem, thumbnails: bool) -> Html {
    let icon = if item.folder {
        html! { <svg class="skiff-thumb skiff-kind" viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1z" /></svg> }
    } else {
        html! { <span class="skiff-thumb skiff-kind" aria-hidden="true">{ rows::extension(&item.name) }</span> }
    };
    let img = item.thumbnail.clone().filter(|_| thumbnails).map(|src| {
        html! { <img class="skiff-thumb skiff-img" {src} alt={t.get("Image preview").to_owned()} loading="lazy" onerror={rows::hide_broken()} /> }
    });
    html! { <span class="skiff-pic">{ icon }{ for img }</span> }
}
