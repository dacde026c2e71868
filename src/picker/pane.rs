//! The drop pane (`displayMode: 'dropPane'`): one button-like drop area that uploads whatever is
//! dropped or chosen at once, with the pane's own callbacks (`dropPane.on…`).

use super::Setup;
use super::hook::Hook;
use super::keys::drop_handlers;
use super::rows::{accept_list, row_button};
use super::sources::files_of;
use super::state::PickerState;
use crate::model::selection::{Action, Entry, Phase};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{DragEvent, HtmlInputElement};
use yew::prelude::*;

/// The drop pane. `over`: files are being dragged over it; `input`: its file input.
pub(crate) fn view(
    setup: &Rc<Setup>,
    st: &PickerState,
    node: &NodeRef,
    over: &UseStateHandle<bool>,
    input: &NodeRef,
) -> Html {
    let o = &setup.opts.drop_pane;
    let s = &st.sel.0;
    let (_, _, percent) = s.total();
    let hooks = setup.hooks.clone();
    let (dragover, dragleave, drop) =
        drop_handlers(setup.hooks.clone(), st.add_files.clone(), over.clone());
    let with_hook = |name: Hook, f: Callback<DragEvent>| {
        let hooks = hooks.clone();
        Callback::from(move |e: DragEvent| {
            let arg: &JsValue = e.as_ref();
            let args = if name == Hook::PaneDragLeave {
                &[][..]
            } else {
                std::slice::from_ref(arg)
            };
            hooks.call(name, args);
            f.emit(e);
        })
    };
    let ondragenter = {
        let (hooks, over) = (hooks.clone(), over.clone());
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
            hooks.call(Hook::PaneDragEnter, &[e.into()]);
        })
    };
    let onclick = {
        let (input, hooks, disabled) = (input.clone(), hooks.clone(), o.disable_click);
        Callback::from(move |e: MouseEvent| {
            hooks.call(Hook::PaneClick, &[e.into()]);
            if let Some(i) = input.cast::<HtmlInputElement>().filter(|_| !disabled) {
                i.click();
            }
        })
    };
    let onchange = {
        let add = st.add_files.clone();
        Callback::from(move |e: Event| add.emit(files_of(&e.target_unchecked_into())))
    };
    let text = o.custom_text.clone().unwrap_or_else(|| {
        setup
            .text
            .get("Drag and drop, or click to select files")
            .to_owned()
    });
    let accept = accept_list(&setup.opts.accept);
    html! {
        <div class={classes!("skiff-pane", over.then_some("skiff-over"))} ref={node.clone()} {ondragenter}
            ondragover={with_hook(Hook::PaneDragOver, dragover)} ondragleave={with_hook(Hook::PaneDragLeave, dragleave)} ondrop={with_hook(Hook::PaneDrop, drop)}>
            <button type="button" class="skiff-pane-button" disabled={o.disable_click} {onclick}>
                if o.show_icon {
                    <svg class="skiff-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 16V4m0 0-5 5m5-5 5 5M4 16v3a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-3" /></svg>
                }
                <span>{ text }</span>
            </button>
            if o.show_progress && s.busy() {
                <progress class="skiff-total" max="100" value={percent.to_string()} aria-label={setup.text.get("Total progress").to_owned()} />
            }
            <input type="file" class="skiff-input skiff-hidden" tabindex="-1" aria-hidden="true" multiple={setup.opts.max_files > 1}
                accept={(!accept.is_empty()).then_some(accept)} ref={input.clone()} {onchange} />
            if !s.entries.is_empty() {
                // Every file of the round with its state: progress while it uploads, then what
                // was stored, refused or failed (with Retry and Remove), until the next drop.
                <ul class="skiff-files skiff-pane-files" aria-label={setup.text.get("Selected files").to_owned()}>
                    { for s.entries.iter().map(|e| pane_row(setup, st, e)) }
                </ul>
            }
        </div>
    }
}

/// One file of the pane's list: name, state and, for a failed file, its buttons.
fn pane_row(setup: &Setup, st: &PickerState, e: &Entry) -> Html {
    let bad = matches!(e.phase, Phase::Refused(_) | Phase::Failed(_));
    let button = |label: &str, class: &'static str, action: Action| {
        row_button(&setup.text, e, label, class, action, &st.act)
    };
    html! {
        <li class="skiff-file" data-state={e.phase.name()} key={e.id}>
            <span class="skiff-file-name">{ &e.name }</span>{ " " }
            <span class={classes!("skiff-file-note", bad.then_some("skiff-bad"))}>{ super::rows::note(setup, e) }</span>
            if matches!(e.phase, Phase::Failed(_)) {
                { button("Retry", "skiff-retry", Action::Retry(e.id)) }
                { button("Remove", "skiff-remove", Action::Remove(e.id)) }
            }
        </li>
    }
}
