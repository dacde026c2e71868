//! The folder's items: a listbox (rows or tiles) drawn only around what is in view, so a folder
//! of thousands opens and scrolls without stalls (`model::cloud::window` decides which rows), the
//! next page asked for when the drawn rows reach the last one read, and the keyboard: roving
//! focus over the whole folder, scrolling to bring the focused item in.

use crate::model::cloud::CloudSource;
use crate::model::cloud::browse::{Browse, BrowseAction, Crumb, Status};
use crate::model::cloud::window::{Viewport, Window};
use crate::model::cloud::wire::CloudItem;
use crate::model::selection::{Action, Phase};
use crate::model::text::{Text, human_size};
use crate::picker::Setup;
use crate::picker::cloud::Cloud;
use crate::picker::rows;
use crate::picker::state::PickerState;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, KeyboardEvent};
use yew::prelude::*;

/// What the folder's order was computed from (see [`Browse::order_key`]).
type OrderKey = (
    CloudSource,
    (u32, usize, crate::model::cloud::browse::Sort, String),
);

/// Which folder a window belongs to: the source and the listing's request number.
type FolderKey = (CloudSource, u32);

/// The folder's order with what it was computed from.
type OrderCache = Rc<RefCell<Option<(OrderKey, Rc<Vec<usize>>)>>>;

/// A job for after the next render.
type AfterRender = Rc<RefCell<Option<Box<dyn FnOnce()>>>>;

/// The listbox's own state.
pub(crate) struct ItemsUi {
    /// The item with the keyboard focus (its place in the folder as shown).
    focus: UseStateHandle<usize>,
    /// The listbox element.
    list: NodeRef,
    /// The rows drawn, for the folder they were measured in.
    window: UseStateHandle<Option<(FolderKey, Window)>>,
    /// The folder's order, kept between renders: sorting thousands of names at every scroll
    /// step would cost more than drawing the rows.
    order: OrderCache,
    /// Set by the render, run once the DOM is updated: measure the list, focus an item that
    /// the keyboard moved to, ask for the next page.
    after: AfterRender,
}

#[hook]
pub(crate) fn use_items_ui() -> ItemsUi {
    let after: AfterRender = use_mut_ref(|| None);
    {
        let after = after.clone();
        use_effect(move || {
            // Taken first: the job may render again, which sets the next job.
            let job = after.borrow_mut().take();
            if let Some(job) = job {
                job();
            }
        });
    }
    ItemsUi {
        focus: use_state(|| 0),
        list: use_node_ref(),
        window: use_state(|| None),
        order: use_mut_ref(|| None),
        after,
    }
}

impl ItemsUi {
    /// The folder's items as shown (indexes into `b.items`), computed again only when the
    /// listing, the sort or the filter changed.
    pub(crate) fn order(&self, source: CloudSource, b: &Browse) -> Rc<Vec<usize>> {
        let key = (source, b.order_key());
        if let Some((k, order)) = &*self.order.borrow() {
            if *k == key {
                return order.clone();
            }
        }
        let order = Rc::new(b.order(&fold_case));
        *self.order.borrow_mut() = Some((key, order.clone()));
        order
    }
}

/// Lower case as the browser does it (`String.prototype.toLowerCase`; see [`Browse::order`]).
/// ASCII names, the common case, are lowered here without a call into JavaScript.
fn fold_case(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        js_sys::JsString::from(s).to_lower_case().into()
    }
}

/// Everything the listbox's handlers need, cloned into each.
#[derive(Clone)]
struct Ctx {
    st: PickerState,
    cloud: Cloud,
    source: CloudSource,
    browse: Rc<Browse>,
    order: Rc<Vec<usize>>,
    focus: UseStateHandle<usize>,
    list: NodeRef,
    window: UseStateHandle<Option<(FolderKey, Window)>>,
    /// More than one file may be picked: whole folders and Shift-click ranges can be.
    folders: bool,
}

impl Ctx {
    fn item(&self, at: usize) -> &CloudItem {
        &self.browse.items[self.order[at]]
    }

    fn folder(&self) -> FolderKey {
        (self.source, self.browse.request)
    }

    /// The list as laid out now, or `None` before it is.
    fn viewport(&self) -> Option<Viewport> {
        let list = self.list.cast::<Element>()?;
        let rows = list.first_element_child()?;
        let first = rows.first_element_child()?;
        let top = first.get_bounding_client_rect().top();
        let kids = rows.children();
        // Tiles on the first row share its top; the first one below gives the row pitch.
        let mut columns = 1;
        let mut pitch = first.get_bounding_client_rect().height();
        for i in 1..kids.length() {
            let t = kids
                .item(i)
                .map_or(top, |k| k.get_bounding_client_rect().top());
            if t > top + 0.5 {
                pitch = t - top;
                break;
            }
            columns += 1;
        }
        Some(Viewport {
            scroll_top: f64::from(list.scroll_top()),
            height: f64::from(list.client_height()),
            pitch,
            columns,
        })
    }

    /// Draws the rows around the view, and asks for the next page when they reach the end.
    fn follow(&self) {
        let Some(view) = self.viewport() else {
            return;
        };
        let total = self.order.len();
        let w = Window::around(view, total);
        let key = self.folder();
        if *self.window != Some((key, w)) {
            self.window.set(Some((key, w)));
        }
        if w.at_end(total) && self.browse.status == Status::Ready && self.browse.next.is_some() {
            self.cloud.act(self.source, BrowseAction::More);
        }
    }

    /// Moves the keyboard focus to item `to`, scrolling it into view first when it is not.
    fn move_focus(&self, to: usize, after: &AfterRender) {
        self.focus.set(to);
        let scroll = self.viewport().and_then(|v| Window::reveal(v, to));
        match (scroll, self.list.cast::<Element>()) {
            // The scroll draws new rows; the item is focused once it is drawn.
            (Some(y), Some(list)) => {
                list.set_scroll_top(y as i32);
                let ctx = self.clone();
                *after.borrow_mut() = Some(Box::new(move || ctx.focus_drawn(to)));
                self.follow();
            }
            _ => self.focus_drawn(to),
        }
    }

    /// Focuses item `i` if it is drawn.
    fn focus_drawn(&self, i: usize) {
        let el = self
            .list
            .cast::<Element>()
            .and_then(|l| {
                l.query_selector(&format!("[data-index=\"{i}\"]"))
                    .ok()
                    .flatten()
            })
            .and_then(|e| e.dyn_into::<HtmlElement>().ok());
        if let Some(el) = el {
            let _ = el.focus();
        }
    }
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

/// The files among `order` (positions in the folder as shown) that are not picked yet: "Select
/// all" and Shift-click ranges add them.
pub(crate) fn unpicked(
    st: &PickerState,
    source: CloudSource,
    b: &Browse,
    order: &[usize],
) -> Vec<CloudItem> {
    order
        .iter()
        .map(|n| &b.items[*n])
        .filter(|i| !i.folder && st.sel.0.cloud_entry(source, &i.path).is_none())
        .cloned()
        .collect()
}

/// The listbox of the folder's items, named `here`; nothing while the folder shows none.
#[allow(clippy::too_many_arguments)]
pub(crate) fn listbox(
    setup: &Setup,
    st: &PickerState,
    cloud: &Cloud,
    ui: &ItemsUi,
    source: CloudSource,
    b: &Rc<Browse>,
    order: Rc<Vec<usize>>,
    here: String,
) -> Html {
    let total = order.len();
    if total == 0 {
        return Html::default();
    }
    let ctx = Ctx {
        st: st.clone(),
        cloud: cloud.clone(),
        source,
        browse: b.clone(),
        order,
        focus: ui.focus.clone(),
        list: ui.list.clone(),
        window: ui.window.clone(),
        folders: setup.opts.max_files > 1,
    };
    let folder = ctx.folder();
    let w = match *ui.window {
        // Since measured, pages may have been appended (the rows drawn stay) or a filter may
        // have shortened the folder (drawn from the top until the scroll is measured again).
        Some((k, w)) if k == folder && w.first < total => Window {
            end: w.end.min(total),
            ..w
        },
        _ => Window::start(total, 1),
    };
    let focus = (*ui.focus).min(total - 1);
    // The focused item holds the one tab stop; scrolled away, the first drawn item takes it.
    let tab_stop = if (w.first..w.end).contains(&focus) {
        focus
    } else {
        w.first
    };
    {
        // After this render: measure, draw the right rows, load more if at the end.
        let ctx = ctx.clone();
        let mut after = ui.after.borrow_mut();
        if after.is_none() {
            *after = Some(Box::new(move || ctx.follow()));
        }
    }
    let onscroll = {
        let ctx = ctx.clone();
        Callback::from(move |_: Event| ctx.follow())
    };
    let onkeydown = keys(&ctx, &ui.after);
    let items =
        (w.first..w.end).map(|i| item_view(setup, &ctx, ctx.item(i), i, total, i == tab_stop));
    let loading = matches!(b.status, Status::Loading | Status::LoadingMore);
    html! {
        <div class="skiff-items" role="listbox" aria-multiselectable="true" aria-label={here} aria-busy={loading.to_string()}
            tabindex="-1" ref={ui.list.clone()} {onkeydown} {onscroll}>
            <div class="skiff-rows" role="presentation" style={format!("padding-top:{}px;padding-bottom:{}px", w.pad_top, w.pad_bottom)}>
                { for items }
            </div>
        </div>
    }
}

/// The listbox's keys: arrows, Home and End move the focus (roving: one item is in the tab
/// order), Enter opens a folder or ticks a file, Space ticks, Backspace goes up a folder.
fn keys(ctx: &Ctx, after: &AfterRender) -> Callback<KeyboardEvent> {
    let (ctx, after) = (ctx.clone(), after.clone());
    Callback::from(move |e: KeyboardEvent| {
        let n = ctx.order.len();
        if n == 0 {
            return;
        }
        let at = (*ctx.focus).min(n - 1);
        let view = ctx.viewport();
        let grid = ctx
            .list
            .cast::<Element>()
            .and_then(|l| l.closest("[data-layout=grid]").ok().flatten())
            .is_some();
        // In the grid, up and down move by a row of tiles.
        let row = if grid {
            view.map_or(1, |v| v.columns.max(1))
        } else {
            1
        };
        let to = match e.key().as_str() {
            "ArrowDown" => Some((at + row).min(n - 1)),
            "ArrowUp" => Some(at.saturating_sub(row)),
            "ArrowRight" if grid => Some((at + 1).min(n - 1)),
            "ArrowLeft" if grid => Some(at.saturating_sub(1)),
            "Home" => Some(0),
            "End" => Some(n - 1),
            "Enter" => {
                e.prevent_default();
                choose(&ctx.st, &ctx.cloud, ctx.source, ctx.item(at));
                None
            }
            " " => {
                e.prevent_default();
                if !ctx.item(at).folder || ctx.folders {
                    toggle(&ctx.st, ctx.source, ctx.item(at));
                }
                None
            }
            "Backspace" => {
                e.prevent_default();
                ctx.cloud.act(ctx.source, BrowseAction::Back);
                None
            }
            _ => None,
        };
        if let Some(to) = to {
            e.prevent_default();
            ctx.move_focus(to, &after);
        }
    })
}

/// One item of the folder: the `index`-th of `total` as shown.
fn item_view(
    setup: &Setup,
    ctx: &Ctx,
    item: &CloudItem,
    index: usize,
    total: usize,
    tab_stop: bool,
) -> Html {
    let t = &setup.text;
    let source = ctx.source;
    let entry = ctx.st.sel.0.cloud_entry(source, &item.path);
    let picked = entry.is_some_and(|e| !matches!(e.phase, Phase::Refused(_)));
    let refusal = entry
        .filter(|e| matches!(e.phase, Phase::Refused(_)))
        .map(|e| rows::note(setup, e));
    let onclick = {
        let (ctx, item) = (ctx.clone(), item.clone());
        Callback::from(move |e: MouseEvent| {
            // The item clicked last (or moved to by the keyboard) anchors a Shift-click range.
            let anchor = *ctx.focus;
            ctx.focus.set(index);
            if e.shift_key() && ctx.folders && !item.folder {
                let (from, to) = (anchor.min(index), anchor.max(index));
                let to = to.min(ctx.order.len() - 1);
                let range = unpicked(&ctx.st, source, &ctx.browse, &ctx.order[from..=to]);
                (ctx.st.add_cloud)(source, range);
                return;
            }
            choose(&ctx.st, &ctx.cloud, source, &item);
        })
    };
    let info = if item.folder {
        t.get("Folder").to_owned()
    } else {
        format!("{} · {}", human_size(item.size), item.mimetype)
    };
    let picture = picture(t, item, !setup.opts.disable_thumbnails);
    let pickable = !item.folder || ctx.folders;
    // A folder's box picks the whole folder; a click elsewhere on it opens it.
    let pick_folder = item.folder.then(|| {
        let (ctx, item) = (ctx.clone(), item.clone());
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            ctx.focus.set(index);
            toggle(&ctx.st, source, &item);
        })
    });
    html! {
        <div class={classes!("skiff-item", item.folder.then_some("skiff-folder"), refusal.is_some().then_some("skiff-refused"))}
            role="option" aria-selected={pickable.then(|| picked.to_string())} tabindex={if tab_stop { "0" } else { "-1" }}
            aria-posinset={(index + 1).to_string()} aria-setsize={total.to_string()}
            data-path={item.path.clone()} data-index={index.to_string()} key={item.path.clone()} {onclick}>
            if pickable {
                // A drawn box, not an <input>: a control inside an option would be a second,
                // nested focus target (the option's aria-selected says it to screen readers;
                // Space picks a folder, Enter opens it).
                <span class="skiff-check" aria-hidden="true" title={item.folder.then(|| t.get("Pick the whole folder").to_owned())} onclick={pick_folder}></span>
            }
            { picture }
            <span class="skiff-meta">
                <span class="skiff-file-name" title={item.name.clone()}>{ &item.name }</span>
                // Every row has the same height (the window relies on it): a refusal takes the
                // place of the size and type, on one line.
                if let Some(r) = refusal {
                    <span class="skiff-file-info skiff-file-note skiff-bad" title={r.clone()}>{ r }</span>
                } else {
                    <span class="skiff-file-info"><bdi dir="ltr">{ info }</bdi></span>
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
