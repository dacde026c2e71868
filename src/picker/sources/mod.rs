//! The picker's sources: one view module per place files come from, each with the UI state it
//! keeps (its inputs, its error line). The dialog shows one source at a time, picked with the
//! tabs rendered here.
//!
//! A new source (cloud storage, the webcam) gets its `Source` variant in the picker options, a
//! module here (`cloud.rs`, `webcam.rs`) with its view and its `use_…_ui` hook, a field in
//! [`SourcesUi`], and its arms in [`tab`] and [`view`]. What a source adds goes through
//! [`PickerState`]: `add_files` for `File`s it holds, `add_url` for links the server fetches.

mod local;
mod url;

pub(crate) use local::files_of;

use super::Setup;
use super::state::PickerState;
use crate::model::picker_options::Source;
use std::rc::Rc;
use yew::prelude::*;

/// The sources' own UI state (kept by the picker's root component: the views are plain
/// functions, not components, because each component type costs kilobytes of wasm).
pub(crate) struct SourcesUi {
    /// The source shown.
    pub(crate) current: UseStateHandle<Source>,
    local: local::LocalUi,
    url: url::UrlUi,
}

/// The sources' UI state, showing `first` at the start.
#[hook]
pub(crate) fn use_sources_ui(first: Source) -> SourcesUi {
    SourcesUi {
        current: use_state(|| first),
        local: local::use_local_ui(),
        url: url::use_url_ui(),
    }
}

/// A tab's label (looked up in the picker's words) and its `data-source` name (filestack-js's
/// source names).
fn tab(src: Source) -> (&'static str, &'static str) {
    match src {
        Source::Local => ("My Device", "local_file_system"),
        Source::Url => ("Link (URL)", "url"),
    }
}

/// One tab per source the picker offers (`fromSources`), the current one pressed.
pub(crate) fn tabs(setup: &Setup, ui: &SourcesUi) -> Html {
    let t = &setup.text;
    let buttons = setup.opts.from_sources.iter().map(|src| {
        let (label, name) = tab(*src);
        let pressed = (*ui.current == *src).to_string();
        let (current, src) = (ui.current.clone(), *src);
        let onclick = Callback::from(move |_| current.set(src));
        html! {
            <button type="button" class="skiff-tab" data-source={name} aria-pressed={pressed} {onclick}>{ t.get(label) }</button>
        }
    });
    html! { <div class="skiff-tabs">{ for buttons }</div> }
}

/// The current source's view. `over`: files are being dragged over the dialog.
pub(crate) fn view(setup: &Rc<Setup>, st: &PickerState, ui: &SourcesUi, over: bool) -> Html {
    match *ui.current {
        Source::Local => local::view(setup, st, &ui.local, over),
        Source::Url => url::view(setup, st, &ui.url),
    }
}
