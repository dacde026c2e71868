//! The picker's page-level listeners, each removed on unmount: Escape and the focus trap of the
//! overlay dialog, pasting files, and drops anywhere on the page (`globalDropZone`, the drop
//! pane's `overlay`); and taking the files of a drop, there or on the picker's own drop areas.

use super::Setup;
use super::bridge::Hooks;
use super::hook::Hook;
use super::state::PickerState;
use crate::model::picker_options::Source;
use crate::web::listener::Listener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{
    ClipboardEvent, DataTransfer, DragEvent, Element, Event, File, FileList, HtmlElement,
    KeyboardEvent,
};
use yew::prelude::*;

/// Files of a `FileList`.
pub(crate) fn list_files(list: Option<FileList>) -> Vec<File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Adds the files of a drop. Folders are walked by the JS entry's `filesFromDrop` (it must read
/// the drop's items during the event); without it, the drop's file list is taken as it is.
pub(crate) fn take_drop(hooks: &Hooks, dt: Option<DataTransfer>, add: Callback<Vec<File>>) {
    let Some(dt) = dt else { return };
    match hooks.call(Hook::FilesFromDrop, &[dt.clone().into()]) {
        Some(p) => wasm_bindgen_futures::spawn_local(async move {
            if let Ok(v) = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&p)).await
            {
                let list = js_sys::Array::from(&v);
                add.emit(list.iter().filter_map(|f| f.dyn_into().ok()).collect());
            }
        }),
        None => add.emit(list_files(dt.files())),
    }
}

/// Controls that take focus, in order.
const FOCUSABLE: &str =
    "button:not([disabled]), input:not([disabled]):not([tabindex='-1']), a[href], [tabindex='0']";

fn focusables(root: &Element) -> Vec<HtmlElement> {
    let Ok(list) = root.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i)?.dyn_into::<HtmlElement>().ok())
        .filter(|e| e.offset_parent().is_some() || e.get_client_rects().length() > 0)
        .collect()
}

/// Moves focus into the picker: its main control, else its first one.
pub(crate) fn focus_first(root: &Element) {
    let main = root
        .query_selector(".skiff-browse, .skiff-url-input")
        .ok()
        .flatten();
    let target = main
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        .or_else(|| focusables(root).into_iter().next());
    if let Some(el) = target {
        let _ = el.focus();
    }
}

thread_local! {
    /// Open pickers in the order they opened, with their roots (`pasteMode`).
    static OPEN: RefCell<Vec<(u32, Element)>> = const { RefCell::new(Vec::new()) };
}

fn takes_paste(setup: &Setup) -> bool {
    let o = &setup.opts;
    OPEN.with(|open| {
        let open = open.borrow();
        let mine = |uid: &u32| *uid == setup.uid;
        if o.paste_to_first_instance {
            return open.first().is_some_and(|(u, _)| mine(u));
        }
        if o.paste_to_first_in_viewport {
            let h = web_sys::window()
                .and_then(|w| w.inner_height().ok()?.as_f64())
                .unwrap_or(0.0);
            let visible = open.iter().find(|(_, el)| {
                let r = el.get_bounding_client_rect();
                r.bottom() > 0.0 && r.top() < h && r.height() > 0.0
            });
            return visible.is_some_and(|(u, _)| mine(u));
        }
        true
    })
}

/// Registers the page-level listeners while the picker is mounted. `root` is the picker's
/// outermost element, `dialog` the element focus is kept in.
#[hook]
pub(crate) fn use_page_listeners(
    setup: Rc<Setup>,
    st: PickerState,
    root: NodeRef,
    dialog: NodeRef,
) {
    use_effect_with((), move |_| {
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .expect("document");
        let mut guards = Vec::new();
        let root_el: Option<Element> = root.cast();
        if let Some(el) = &root_el {
            OPEN.with(|o| o.borrow_mut().push((setup.uid, el.clone())));
        }
        if setup.is_overlay() {
            let (dialog, exit) = (dialog.clone(), setup.on_exit.clone());
            guards.push(Listener::new(&doc, "keydown", move |e: Event| {
                let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
                    return;
                };
                if k.key() == "Escape" {
                    k.prevent_default();
                    exit.emit(super::Exit::Closed);
                } else if k.key() == "Tab" {
                    let Some(d) = dialog.cast::<Element>() else {
                        return;
                    };
                    let list = focusables(&d);
                    let (Some(first), Some(last)) = (list.first(), list.last()) else {
                        return;
                    };
                    let active = d.owner_document().and_then(|doc| doc.active_element());
                    let inside = active.as_ref().is_some_and(|a| d.contains(Some(a)));
                    let at = |el: &HtmlElement| {
                        active
                            .as_ref()
                            .is_some_and(|a| a == el.unchecked_ref::<Element>())
                    };
                    if k.shift_key() && (at(first) || !inside) {
                        k.prevent_default();
                        let _ = last.focus();
                    } else if !k.shift_key() && (at(last) || !inside) {
                        k.prevent_default();
                        let _ = first.focus();
                    }
                }
            }));
        }
        let local = setup.opts.from_sources.contains(&Source::Local);
        if local {
            let (setup2, add) = (setup.clone(), st.add_files.clone());
            guards.push(Listener::new(&doc, "paste", move |e: Event| {
                let Some(c) = e.dyn_ref::<ClipboardEvent>() else {
                    return;
                };
                let files = list_files(c.clipboard_data().and_then(|d| d.files()));
                if !files.is_empty() && takes_paste(&setup2) {
                    c.prevent_default();
                    add.emit(files);
                }
            }));
        }
        let page_drop = if setup.is_pane() {
            setup.opts.drop_pane.overlay
        } else {
            setup.opts.global_drop_zone
        };
        if local && page_drop {
            guards.push(Listener::new(&doc, "dragover", |e: Event| {
                e.prevent_default()
            }));
            let (add, hooks) = (st.add_files.clone(), setup.hooks.clone());
            guards.push(Listener::new(&doc, "drop", move |e: Event| {
                let Some(d) = e.dyn_ref::<DragEvent>() else {
                    return;
                };
                // A drop on the picker itself was taken there already.
                if d.default_prevented() {
                    return;
                }
                d.prevent_default();
                take_drop(&hooks, d.data_transfer(), add.clone());
            }));
        }
        if let Some(d) = dialog.cast::<Element>() {
            if setup.is_overlay() {
                focus_first(&d);
            }
        }
        if !setup.initial.is_empty() {
            st.add_app_files.emit(setup.initial.clone());
        }
        let uid = setup.uid;
        setup.on_ready.emit(());
        move || {
            drop(guards);
            OPEN.with(|o| o.borrow_mut().retain(|(u, _)| *u != uid));
        }
    });
}

/// The dragover, dragleave and drop handlers of a drop area: `over` tells the view to highlight
/// it; the drop's files go to `add`.
pub(crate) fn drop_handlers(
    hooks: Hooks,
    add: Callback<Vec<web_sys::File>>,
    over: UseStateHandle<bool>,
) -> (
    Callback<DragEvent>,
    Callback<DragEvent>,
    Callback<DragEvent>,
) {
    let ondragover = {
        let over = over.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            over.set(true);
        })
    };
    let ondragleave = {
        let over = over.clone();
        Callback::from(move |_: DragEvent| over.set(false))
    };
    let ondrop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        over.set(false);
        take_drop(&hooks, e.data_transfer(), add.clone());
    });
    (ondragover, ondragleave, ondrop)
}
