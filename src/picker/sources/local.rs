//! The device source: the drop area, the file and folder buttons, and their hidden inputs.

use crate::picker::Setup;
use crate::picker::keys::list_files;
use crate::picker::rows::accept_list;
use crate::picker::state::PickerState;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The hidden `<input type=file>`s the buttons open.
pub(super) struct LocalUi {
    /// Files.
    input: NodeRef,
    /// A folder (`webkitdirectory`).
    folder: NodeRef,
    /// This device can pick a folder.
    folders: bool,
}

#[hook]
pub(super) fn use_local_ui() -> LocalUi {
    LocalUi {
        input: use_node_ref(),
        folder: use_node_ref(),
        folders: *use_memo((), |_| can_pick_folders()),
    }
}

/// Whether "Select a Folder" can work here. Phones and tablets (iOS Safari, Android Chrome) have
/// a `webkitdirectory` input but offer no way to choose a folder with it: the button would open
/// a file chooser or nothing. They are told apart by having no fine pointer at all (no mouse or
/// trackpad), which a desktop, or a tablet with a trackpad, has.
fn can_pick_folders() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let has_input = window
        .document()
        .and_then(|d| d.create_element("input").ok())
        .is_some_and(|i| js_sys::Reflect::has(&i, &"webkitdirectory".into()).unwrap_or(false));
    let fine_pointer = window
        .match_media("(any-pointer: fine)")
        .ok()
        .flatten()
        // A browser without media queries for pointers: assume a desktop, as before.
        .is_none_or(|m| m.matches() || m.media() == "not all");
    has_input && fine_pointer
}

/// The files chosen in a file input; the input is emptied so the same file can be picked again.
pub(crate) fn files_of(input: &HtmlInputElement) -> Vec<web_sys::File> {
    let files = list_files(input.files());
    input.set_value("");
    files
}

/// The drop area with its buttons. `over`: files are being dragged over the dialog.
pub(super) fn view(setup: &Setup, st: &PickerState, ui: &LocalUi, over: bool) -> Html {
    let t = &setup.text;
    let o = &setup.opts;
    let LocalUi {
        input,
        folder,
        folders,
    } = ui;
    let folders = *folders && !o.disable_directory_upload;
    let pick = |r: &NodeRef| {
        let r = r.clone();
        Callback::from(move |_| {
            if let Some(i) = r.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let onchange = {
        let add = st.add_files.clone();
        Callback::from(move |e: Event| add.emit(files_of(&e.target_unchecked_into())))
    };
    let accept = accept_list(&o.accept);
    html! {
        <div class={classes!("skiff-drop", over.then_some("skiff-over"))}>
            <svg class="skiff-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 16V4m0 0-5 5m5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" /></svg>
            <p class="skiff-lead">{ t.get("Drag and drop files here") }</p>
            <p class="skiff-or">{ t.get("or") }</p>
            <div class="skiff-row">
                <button type="button" class="skiff-btn skiff-primary skiff-browse" onclick={pick(input)}>{ t.get("Select Files") }</button>
                if folders {
                    <button type="button" class="skiff-btn skiff-browse-folder" onclick={pick(folder)}>{ t.get("Select a Folder") }</button>
                }
            </div>
            <p class="skiff-hint">{ t.get("You can also paste files here.") }</p>
            <input type="file" class="skiff-input skiff-hidden" tabindex="-1" aria-hidden="true" multiple={o.max_files > 1}
                accept={(!accept.is_empty()).then(|| accept.clone())} ref={input.clone()} onchange={onchange.clone()} />
            if folders {
                <input type="file" class="skiff-folder-input skiff-hidden" tabindex="-1" aria-hidden="true" webkitdirectory=true ref={folder.clone()} {onchange} />
            }
        </div>
    }
}
