//! The picker's sources: one view module per place files come from, each with the UI state it
//! keeps (its inputs, its error line). The dialog shows one source at a time, picked with the
//! tabs rendered here.
//!
//! A new source (the webcam) gets its `Source` variant in the picker options, a module here
//! (`webcam.rs`) with its view and its `use_…_ui` hook, a field in [`SourcesUi`], and its arms in
//! [`tab`] and [`view`]. What a source adds goes through [`PickerState`]: `add_files` for `File`s
//! it holds, `add_url` for links the server fetches, `add_cloud` for files the server imports from
//! a cloud source (every cloud source shares `cloud.rs`, over `picker::cloud`'s state).

mod cloud;
mod icons;
mod local;
mod url;

pub(crate) use local::files_of;

use super::Setup;
use super::cloud::{Cloud, SignIn, use_cloud};
use super::signin;
use super::state::PickerState;
use crate::model::cloud::browse::BrowseAction;
use crate::model::picker_options::Source;
use crate::web::redirect;
use std::rc::Rc;
use yew::prelude::*;

/// The sources' own UI state (kept by the picker's root component: the views are plain
/// functions, not components, because each component type costs kilobytes of wasm).
pub(crate) struct SourcesUi {
    /// The source shown.
    pub(crate) current: UseStateHandle<Source>,
    local: local::LocalUi,
    url: url::UrlUi,
    /// The cloud sources' browsers and sign-in.
    pub(crate) cloud: Cloud,
    cloud_ui: cloud::CloudUi,
}

/// The sources' UI state, showing the first source at the start.
#[hook]
pub(crate) fn use_sources_ui(setup: Rc<Setup>) -> SourcesUi {
    // Back from a sign-in in this tab: that source is shown first, with how it ended.
    let back = {
        let setup = setup.clone();
        use_state(move || {
            let (tab, outcome) = redirect::returned()?;
            let source = setup.opts.from_sources.iter().find_map(|s| match s {
                Source::Cloud(c) if c.name() == tab => Some(*c),
                _ => None,
            })?;
            Some((source, signin::returned_ending(outcome.as_deref())))
        })
    };
    let first = back.map_or(setup.opts.from_sources[0], |(c, _)| Source::Cloud(c));
    let signin = match *back {
        Some((c, Some(ending))) => SignIn::Ended(c, ending),
        _ => SignIn::Idle,
    };
    let ui = SourcesUi {
        current: use_state(|| first),
        local: local::use_local_ui(),
        url: url::use_url_ui(),
        cloud: {
            let cloud = use_cloud(setup.clone(), signin);
            // The sign-in's page listeners, as long as the picker is open.
            signin::use_listeners(setup, cloud.clone());
            cloud
        },
        cloud_ui: cloud::use_cloud_ui(),
    };
    {
        // A cloud source lists its root the first time it is shown.
        let cloud = ui.cloud.clone();
        use_effect_with(*ui.current, move |src| {
            if let Source::Cloud(c) = src {
                cloud.act(*c, BrowseAction::Show);
            }
        });
    }
    ui
}

/// A tab's label for people and its `data-source` name (filestack-js's source names).
fn tab(setup: &Setup, src: Source) -> (String, &'static str) {
    let t = &setup.text;
    match src {
        Source::Local => (t.get("My Device").to_owned(), "local_file_system"),
        Source::Url => (t.get("Link (URL)").to_owned(), "url"),
        Source::Cloud(c) => (cloud::label(setup, c), c.name()),
    }
}

/// One tab per source the picker offers (`fromSources`), the current one pressed.
pub(crate) fn tabs(setup: &Setup, ui: &SourcesUi) -> Html {
    let buttons = setup.opts.from_sources.iter().map(|src| {
        let (label, name) = tab(setup, *src);
        let pressed = (*ui.current == *src).to_string();
        let (current, src) = (ui.current.clone(), *src);
        let onclick = Callback::from(move |_| current.set(src));
        html! {
            <button type="button" class="skiff-tab" data-source={name} aria-pressed={pressed} {onclick}>{ icons::icon(src, "skiff-tab-icon") }{ label }</button>
        }
    });
    html! { <div class="skiff-tabs">{ for buttons }</div> }
}

/// The current source's view. `over`: files are being dragged over the dialog.
pub(crate) fn view(setup: &Rc<Setup>, st: &PickerState, ui: &SourcesUi, over: bool) -> Html {
    match *ui.current {
        Source::Local => local::view(setup, st, &ui.local, over),
        Source::Url => url::view(setup, st, &ui.url),
        Source::Cloud(c) => cloud::view(setup, st, &ui.cloud, &ui.cloud_ui, c),
    }
}
