//! The picker's root component: the overlay dialog or the inline panel (the sources' tabs and the
//! current source's view from `sources`, the file list, the footer), or the drop pane (`pane`).

use super::hook::Hook;
use super::keys::{drop_handlers, use_page_listeners};
use super::pane;
use super::rows::file_row;
use super::sources::{self, SourcesUi, use_sources_ui};
use super::state::{PickerState, use_picker};
use super::{AppProps, Exit, Setup, bridge};
use crate::model::picker_options::DisplayMode;
use crate::model::selection::{Action, Phase};
use crate::model::text::is_rtl;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// What the live region says: the last refusal or failure, and how far the upload is.
fn announcement(setup: &Setup, st: &PickerState) -> String {
    let s = &st.sel.0;
    let t = &setup.text;
    let mut parts = Vec::new();
    if let Some(e) = s
        .entries
        .iter()
        .rev()
        .find(|e| matches!(e.phase, Phase::Refused(_) | Phase::Failed(_)))
    {
        // The sentences of failures end with a full stop already; the join adds one.
        let note = super::rows::note(setup, e);
        parts.push(format!("{}: {}", e.name, note.trim_end_matches('.')));
    }
    if s.finishing {
        let total = s.counted();
        let done = s
            .entries
            .iter()
            .filter(|e| matches!(e.phase, Phase::Done(_)))
            .count();
        parts.push(t.fill(
            "{done} of {total} files uploaded",
            &[("done", &done.to_string()), ("total", &total.to_string())],
        ));
    }
    parts.join(". ")
}

/// The picker.
#[component]
pub(crate) fn App(props: &AppProps) -> Html {
    let setup = props.setup.clone();
    let st = use_picker(setup.clone());
    let root = use_node_ref();
    let dialog = use_node_ref();
    use_page_listeners(setup.clone(), st.clone(), root.clone(), dialog.clone());
    {
        // `cancel()`: stop everything, tell the app what was stored, close.
        let (setup2, st2) = (setup.clone(), st.clone());
        *setup.cancel.borrow_mut() = Some(Callback::from(move |_| {
            let (done, failed) = st2.sel.0.outcome();
            let response = bridge::response(&done, &failed);
            st2.act.emit(Action::CancelAll);
            setup2.hooks.call(Hook::Cancel, &[response]);
            setup2.on_exit.emit(Exit::Closed);
        }));
    }
    let lang = setup.opts.lang.clone();
    let dir = if is_rtl(&lang) { "rtl" } else { "ltr" };
    let mode = match setup.opts.display_mode {
        DisplayMode::Overlay => "overlay",
        DisplayMode::Inline => "inline",
        DisplayMode::DropPane => "dropPane",
    };
    let live = announcement(&setup, &st);
    let ui = Ui {
        sources: use_sources_ui(setup.clone()),
        over: use_state(|| false),
        pane_input: use_node_ref(),
    };
    {
        // The drop pane reports the total progress.
        let (hooks, busy, percent) = (setup.hooks.clone(), st.sel.0.busy(), st.sel.0.total().2);
        use_effect_with((percent, busy), move |(p, busy)| {
            if *busy && hooks.has(Hook::PaneProgress) {
                hooks.call(Hook::PaneProgress, &[JsValue::from(*p)]);
            }
        });
    }
    let body = if setup.is_pane() {
        pane::view(&setup, &st, &dialog, &ui.over, &ui.pane_input)
    } else {
        panel(&setup, &st, &dialog, &ui)
    };
    let close = {
        let exit = setup.on_exit.clone();
        Callback::from(move |_| exit.emit(Exit::Closed))
    };
    html! {
        <div class="skiff-picker" data-mode={mode} {dir} {lang} ref={root}>
            if setup.is_overlay() {
                <div class="skiff-backdrop" onclick={close}></div>
            }
            { body }
            <div class="skiff-live" role="status" aria-live="polite">{ live }</div>
        </div>
    }
}

/// The views' own state (kept in [`App`]: the views are plain functions).
struct Ui {
    /// The dialog's sources.
    sources: SourcesUi,
    /// Files are being dragged over the dialog or the pane.
    over: UseStateHandle<bool>,
    /// The drop pane's file input.
    pane_input: NodeRef,
}

/// The overlay dialog or the inline panel.
fn panel(setup: &Rc<Setup>, st: &PickerState, node: &NodeRef, ui: &Ui) -> Html {
    let t = &setup.text;
    let o = &setup.opts;
    let title_id = format!("skiff-title-{}", setup.uid);
    let s = &st.sel.0;
    let (ondragover, ondragleave, ondrop) =
        drop_handlers(setup.hooks.clone(), st.add_files.clone(), ui.over.clone());
    let close = {
        let exit = setup.on_exit.clone();
        Callback::from(move |_| exit.emit(Exit::Closed))
    };
    let done = {
        let exit = setup.on_exit.clone();
        Callback::from(move |_| exit.emit(Exit::Done))
    };
    let start = {
        let act = st.act.clone();
        Callback::from(move |_| act.emit(Action::Start))
    };
    let (_, _, total) = s.total();
    let can = s.can_start();
    let count = match can {
        Err(min) if min > 1 && s.counted() < min as usize => {
            t.fill("Pick at least {min} files", &[("min", &min.to_string())])
        }
        _ => t.fill(
            "{count} of {max} files",
            &[
                ("count", &s.counted().to_string()),
                ("max", &o.max_files.to_string()),
            ],
        ),
    };
    let summary = (s.reported && s.finishing).then(|| {
        if s.any_failed() {
            t.get("Some files could not be uploaded")
        } else {
            t.get("All files uploaded")
        }
    });
    let help = o
        .support_email
        .as_ref()
        .filter(|_| s.any_failed())
        .map(|m| t.fill("Need help? Write to {email}", &[("email", m)]));
    let (role, modal) = if setup.is_overlay() {
        ("dialog", Some("true"))
    } else {
        ("region", None)
    };
    html! {
        <div class="skiff-dialog" {role} aria-modal={modal} aria-labelledby={title_id.clone()} ref={node.clone()} {ondragover} {ondragleave} {ondrop}>
            <div class="skiff-head">
                <h2 class="skiff-title" id={title_id}>{ t.get("Select Files to Upload") }</h2>
                if setup.is_overlay() {
                    <button type="button" class="skiff-btn skiff-close" aria-label={t.get("Close").to_owned()} title={t.get("Close").to_owned()} onclick={close}>{ "×" }</button>
                }
            </div>
            if o.from_sources.len() > 1 {
                { sources::tabs(setup, &ui.sources) }
            }
            <div class="skiff-body">
                { sources::view(setup, st, &ui.sources, *ui.over) }
                if !s.entries.is_empty() {
                    <ul class="skiff-files" aria-label={t.get("Selected files").to_owned()}>
                        { for s.entries.iter().map(|e| {
                            let thumb = st.files.borrow().get(&e.id).and_then(|p| p.thumb.clone());
                            file_row(setup, e, thumb, &st.act)
                        }) }
                    </ul>
                }
            </div>
            <div class="skiff-foot">
                <span class="skiff-count">{ summary.map(str::to_owned).unwrap_or(count) }</span>
                if let Some(h) = help { <span class="skiff-help">{ h }</span> }
                if s.busy() {
                    <progress class="skiff-total" max="100" value={total.to_string()} aria-label={t.get("Total progress").to_owned()} />
                }
                if setup.is_overlay() && s.reported && s.finishing && !s.busy() {
                    // The round ended with failures (else the overlay closed itself): the person
                    // retries or removes them, or is done.
                    <button type="button" class="skiff-btn skiff-primary skiff-done" onclick={done}>{ t.get("Done") }</button>
                } else {
                    <button type="button" class="skiff-btn skiff-primary skiff-upload" disabled={can.is_err() || (s.finishing && s.busy())} onclick={start}>{ t.get("Upload") }</button>
                }
            </div>
        </div>
    }
}
