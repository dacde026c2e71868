//! The picker (`client.picker(options)`): a Yew app mounted on `open()` and destroyed on close,
//! behind the [`Picker`] handle.
//!
//! - Views: `app` (the dialog or the inline panel), `pane` (the drop pane), `sources` (one view module per
//!   source: device, link, cloud), `rows` (the file list).
//! - Cloud sources: `cloud` (the folder browsers and their listings), `signin` (the sign-in popup).
//! - State: `state` (the selection reducer and the callbacks that change it), `picked` (the picked
//!   `File`s), `checks` (the app's checks of each file, from an effect), `uploads` (starting,
//!   commanding and ending each upload, reporting the round).
//! - The app: `bridge` calls its functions (named by `hook::Hook`) with filestack-js's shapes;
//!   `keys` handles the keyboard, paste and page-wide drops.
//!
//! See docs/protocol.md §8 for the options and callbacks.

mod app;
mod bridge;
mod checks;
mod cloud;
mod folders;
mod hook;
mod imports;
mod keys;
mod pane;
mod picked;
mod rows;
mod sel;
mod signin;
mod sources;
mod state;
mod uploads;

use crate::js_api::Client;
use crate::model::client_options::ClientOptions;
use crate::model::picker_options::{DisplayMode, PickerOptions, picker_options};
use crate::model::selection::Rules;
use crate::model::text::Text;
use bridge::Hooks;
use hook::Hook;
use js_sys::{Function, Promise};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use web_sys::{Element, File, HtmlElement};
use yew::{AppHandle, Callback, Properties};

/// The look, built in so the first open needs no request.
const CSS: &str = include_str!("picker.css");

/// How the picker ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Closed by the user or the app.
    Closed,
    /// The upload ended.
    Done,
}

/// Everything one opened picker needs; fixed while it is open.
#[derive(Debug)]
pub(crate) struct Setup {
    pub(crate) opts: PickerOptions,
    pub(crate) client: ClientOptions,
    pub(crate) text: Text,
    pub(crate) hooks: Hooks,
    /// Unique per picker on the page (element ids).
    pub(crate) uid: u32,
    pub(crate) on_exit: Callback<Exit>,
    pub(crate) on_ready: Callback<()>,
    /// Where the app registers its cancel (for `cancel()`).
    pub(crate) cancel: RefCell<Option<Callback<()>>>,
    /// Files handed to `crop(files)`, added on mount.
    pub(crate) initial: Vec<File>,
}

/// One picker's setup is fixed while it is open: the same picker is the same setup.
impl PartialEq for Setup {
    fn eq(&self, other: &Self) -> bool {
        self.uid == other.uid
    }
}

impl Setup {
    pub(crate) fn rules(&self) -> Rules {
        let o = &self.opts;
        Rules {
            accept: o.accept.clone(),
            max_size: o.max_size,
            min_files: o.min_files,
            max_files: o.max_files,
            concurrency: o.concurrency,
            app_checks: self.hooks.has(Hook::Check),
            start_at_max: o.start_uploading_when_max_files_reached,
            background: o.upload_in_background || self.is_pane(),
        }
    }

    pub(crate) fn is_pane(&self) -> bool {
        self.opts.display_mode == DisplayMode::DropPane
    }

    pub(crate) fn is_overlay(&self) -> bool {
        self.opts.display_mode == DisplayMode::Overlay
    }
}

/// Props of the root component.
#[derive(Debug, Properties)]
pub(crate) struct AppProps {
    /// The picker's setup.
    pub(crate) setup: Rc<Setup>,
}

impl PartialEq for AppProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.setup, &other.setup)
    }
}

thread_local! {
    static NEXT_UID: Cell<u32> = const { Cell::new(1) };
}

struct Mounted {
    app: AppHandle<app::App>,
    host: Element,
    /// Resolves `open()`'s promise (`false` when the picker closes before it was ready).
    ready: Rc<RefCell<Option<Function>>>,
    opener: Option<HtmlElement>,
    setup: Rc<Setup>,
}

struct Inner {
    opts: PickerOptions,
    client: ClientOptions,
    text: Text,
    hooks: Hooks,
    uid: u32,
    mounted: Option<Mounted>,
}

/// One picker; `open()` shows it, `close()` removes it and everything it added to the page.
#[wasm_bindgen]
pub struct Picker {
    inner: Rc<RefCell<Inner>>,
}

impl std::fmt::Debug for Picker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.inner.borrow().mounted.is_some();
        f.debug_struct("Picker").field("open", &open).finish()
    }
}

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("the picker needs a document")
}

/// Adds the picker's style sheet to the page once.
fn ensure_css(doc: &web_sys::Document) {
    if doc.get_element_by_id("skiff-picker-css").is_none() {
        if let (Ok(style), Some(head)) = (doc.create_element("style"), doc.head()) {
            style.set_id("skiff-picker-css");
            style.set_text_content(Some(CSS));
            let _ = head.append_child(&style);
        }
    }
}

fn unmount(inner: &Rc<RefCell<Inner>>) {
    let Some(m) = inner.borrow_mut().mounted.take() else {
        return;
    };
    let hooks = m.setup.hooks.clone();
    m.app.destroy();
    m.host.remove();
    if let Some(f) = m.ready.borrow_mut().take() {
        let _ = f.call1(&JsValue::NULL, &JsValue::FALSE);
    }
    if let Some(el) = m.opener {
        let _ = el.focus();
    }
    hooks.call(Hook::Close, &[]);
}

#[wasm_bindgen]
impl Picker {
    /// The MIME type of a file name's extension (`mimeFromExtension` for the app's `acceptFn`):
    /// the table the uploader uses.
    #[wasm_bindgen(js_name = mimetypeOfName)]
    pub fn mimetype_of_name(name: &str) -> String {
        crate::model::file_name::mimetype("", name)
    }

    /// Reads the picker options (an Error names a bad or unsupported one). `hooks` holds the
    /// app's functions, `translation` the words of `lang` (null for English).
    #[wasm_bindgen(constructor)]
    pub fn new(
        client: &Client,
        options: JsValue,
        hooks: JsValue,
        translation: JsValue,
    ) -> Result<Picker, JsError> {
        let opts = picker_options(crate::web::js_value::from_js(&options, "picker options")?)
            .map_err(|e| JsError::new(&e.0))?;
        let translation = crate::web::js_value::from_js(&translation, "translation")?;
        let text = Text::new(&translation, &opts.custom_text);
        let uid = NEXT_UID.with(|n| n.replace(n.get() + 1));
        let inner = Inner {
            opts,
            client: client.options().clone(),
            text,
            hooks: Hooks::new(hooks),
            uid,
            mounted: None,
        };
        Ok(Picker {
            inner: Rc::new(RefCell::new(inner)),
        })
    }

    /// Shows the picker; resolves to `true` once it is on the page and focused (`false` when it
    /// was open already). `files` (from `crop(files)`) are added to the selection.
    pub fn open(&self, files: js_sys::Array) -> Result<Promise, JsError> {
        if self.inner.borrow().mounted.is_some() {
            return Ok(Promise::resolve(&JsValue::FALSE));
        }
        // The kept uploads' database opens while the person chooses, not after the pick.
        if self.inner.borrow().opts.upload_config.resume {
            crate::web::idb::Store::open_soon();
        }
        let doc = document();
        ensure_css(&doc);
        // The app gets a host element of its own (in <body> for the overlay, in the container
        // otherwise), removed on close with the listeners Yew put on it.
        let host = {
            let i = self.inner.borrow();
            let parent: Element = match i.opts.display_mode {
                DisplayMode::Overlay => doc
                    .body()
                    .ok_or_else(|| JsError::new("the page has no <body>"))?
                    .into(),
                _ => i
                    .hooks
                    .container()
                    .or_else(|| {
                        let c = i.opts.container.clone().unwrap_or_default();
                        doc.query_selector(&c)
                            .ok()
                            .flatten()
                            .or_else(|| doc.get_element_by_id(&c))
                    })
                    .ok_or_else(|| {
                        JsError::new(&format!(
                            "The picker's container \"{}\" is not on the page",
                            i.opts.container.clone().unwrap_or_default()
                        ))
                    })?,
            };
            let el = doc
                .create_element("div")
                .map_err(|_| JsError::new("cannot create the picker"))?;
            el.set_class_name("skiff-host");
            let _ = parent.append_child(&el);
            el
        };
        let mut resolve_slot: Option<Function> = None;
        let ready = Promise::new(&mut |resolve, _| resolve_slot = Some(resolve));
        let resolve = Rc::new(RefCell::new(resolve_slot));
        let weak: Weak<RefCell<Inner>> = Rc::downgrade(&self.inner);
        let on_exit = Callback::from(move |_exit: Exit| {
            let weak = weak.clone();
            // After the current event: the app must not be destroyed from inside its own handler.
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(inner) = weak.upgrade() {
                    unmount(&inner);
                }
            });
        });
        let ready_slot = resolve.clone();
        let on_ready = Callback::from(move |_| {
            if let Some(f) = resolve.borrow_mut().take() {
                let _ = f.call1(&JsValue::NULL, &JsValue::TRUE);
            }
        });
        let initial = files
            .iter()
            .filter_map(|f| f.dyn_into::<File>().ok())
            .collect();
        let opener = doc
            .active_element()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        let setup = {
            let i = self.inner.borrow();
            Rc::new(Setup {
                opts: i.opts.clone(),
                client: i.client.clone(),
                text: i.text.clone(),
                hooks: i.hooks.clone(),
                uid: i.uid,
                on_exit,
                on_ready,
                cancel: RefCell::new(None),
                initial,
            })
        };
        let app = yew::Renderer::<app::App>::with_root_and_props(
            host.clone(),
            AppProps {
                setup: setup.clone(),
            },
        )
        .render();
        self.inner.borrow_mut().mounted = Some(Mounted {
            app,
            host,
            ready: ready_slot,
            opener,
            setup,
        });
        Ok(ready)
    }

    /// Removes the picker from the page (uploads still running are stopped); calls `onClose`.
    pub fn close(&self) {
        unmount(&self.inner);
    }

    /// Cancels every upload, calls `onCancel` with what was stored so far, then closes.
    pub fn cancel(&self) {
        let slot = self
            .inner
            .borrow()
            .mounted
            .as_ref()
            .and_then(|m| m.setup.cancel.borrow().clone());
        match slot {
            Some(cancel) => cancel.emit(()),
            None => unmount(&self.inner),
        }
    }
}
