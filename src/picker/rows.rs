//! One row of the file list: preview or type, name, size, state, progress and the row's buttons.

use super::Setup;
use crate::model::accept::AcceptRule;
use crate::model::selection::{Action, Entry, Origin, Phase, Rate, Refusal};
use crate::model::text::{Text, human_size, time_left};
use yew::prelude::*;

/// The `accept` rules as people write them.
pub(crate) fn accept_list(rules: &[AcceptRule]) -> String {
    let each: Vec<String> = rules.iter().map(AcceptRule::written).collect();
    each.join(", ")
}

/// The badge of a file without a picture: its extension, up to four letters, in capitals.
pub(crate) fn extension(name: &str) -> String {
    let ext = name.rsplit_once('.').map(|(_, x)| x).unwrap_or("");
    ext.chars().take(4).collect::<String>().to_ascii_uppercase()
}

/// An `<img>`'s `onerror`: a picture that cannot be loaded or decoded is hidden, uncovering the
/// type's badge under it instead of a broken image.
pub(crate) fn hide_broken() -> Callback<Event> {
    Callback::from(|e: Event| {
        if let Some(img) = e.target_dyn_into::<web_sys::HtmlElement>() {
            img.set_hidden(true);
        }
    })
}

/// What a row says about its file.
pub(crate) fn note(setup: &Setup, e: &Entry) -> String {
    let t = &setup.text;
    match &e.phase {
        Phase::Checking => t.get("Checking…").to_owned(),
        Phase::Refused(Refusal::Type) => t.fill(
            "Not accepted: this file type is not allowed ({accept})",
            &[("accept", &accept_list(&setup.opts.accept))],
        ),
        Phase::Refused(Refusal::TooBig(l)) => t.fill(
            "Not accepted: the file is larger than {limit}",
            &[("limit", &human_size(*l))],
        ),
        Phase::Refused(Refusal::TooMany(m)) => t.fill(
            "Not accepted: at most {max} files can be picked",
            &[("max", &m.to_string())],
        ),
        Phase::Refused(Refusal::Vetoed(r)) => t.fill("Not accepted: {reason}", &[("reason", r)]),
        Phase::Ready if e.origin.is_folder() => t.fill(
            "Folder: all files inside, up to {max}",
            &[("max", &folder_room(setup).to_string())],
        ),
        Phase::Uploading { .. } if e.origin.is_folder() => {
            t.get("Listing the files in this folder…").to_owned()
        }
        Phase::Ready => t.get("Ready").to_owned(),
        Phase::Queued => t.get("Waiting").to_owned(),
        Phase::Uploading { percent, .. } if matches!(e.origin, Origin::Cloud(..)) => {
            t.fill("Importing {percent}%", &[("percent", &percent.to_string())])
        }
        Phase::Uploading { percent, .. } => {
            // Carrying on after a reload: the percent starts at what the server already holds.
            let key = match e.resumed {
                true => "Resuming {percent}%",
                false => "Uploading {percent}%",
            };
            t.fill(key, &[("percent", &percent.to_string())])
        }
        Phase::Paused { percent, .. } => {
            t.fill("Paused at {percent}%", &[("percent", &percent.to_string())])
        }
        Phase::Done(_) => t.get("Uploaded").to_owned(),
        Phase::Failed(f) => t.fill("Failed: {reason}", &[("reason", t.get(f.sentence()))]),
        Phase::Cancelled => t.get("Cancelled").to_owned(),
    }
}

/// The most files a picked folder can add: `maxFiles`, and never more than the folder limit.
fn folder_room(setup: &Setup) -> usize {
    (setup.opts.max_files as usize).min(crate::picker::folders::FOLDER_LIMIT)
}

/// "3.1 MB/s, 12 s left": the speed and time left of an upload that takes a while. Not in the
/// live region: it changes several times a second.
fn pace(t: &Text, r: Rate) -> String {
    let speed = t.fill("{speed}/s", &[("speed", &human_size(r.speed_bps))]);
    match r.eta_ms {
        Some(ms) => {
            let (key, n) = time_left(ms);
            format!("{speed} · {}", t.fill(key, &[("n", &n.to_string())]))
        }
        None => speed,
    }
}

/// A row's button (`label`, named with the file for screen readers) that sends `action`.
pub(crate) fn row_button(
    t: &Text,
    e: &Entry,
    label: &str,
    class: &'static str,
    action: Action,
    on_action: &Callback<Action>,
) -> Html {
    let on_action = on_action.clone();
    let onclick = Callback::from(move |_| on_action.emit(action.clone()));
    html! {
        <button type="button" class={classes!("skiff-btn", "skiff-small", class)} aria-label={format!("{} {}", t.get(label), e.name)} {onclick}>
            { t.get(label) }
        </button>
    }
}

/// One file of the list (a plain function, not a component: each component type costs
/// kilobytes of wasm). `on_action` gets the row's button presses.
pub(crate) fn file_row(
    setup: &Setup,
    e: &Entry,
    thumb: Option<String>,
    on_action: &Callback<Action>,
) -> Html {
    let t = &setup.text;
    let id = e.id;
    let button = |label: &str, class: &'static str, action: Action| {
        row_button(t, e, label, class, action, on_action)
    };
    let actions = match &e.phase {
        Phase::Ready | Phase::Refused(_) | Phase::Checking => {
            button("Remove", "skiff-remove", Action::Remove(id))
        }
        Phase::Queued => button("Cancel", "skiff-cancel", Action::Cancelled(id)),
        // The server fetches a link or a cloud file in one go: it can be cancelled, not paused.
        Phase::Uploading { .. } if e.origin != Origin::Local => {
            button("Cancel", "skiff-cancel", Action::Cancelled(id))
        }
        Phase::Uploading { .. } => html! { <>
            { button("Pause", "skiff-pause", Action::Pause(id)) }
            { button("Cancel", "skiff-cancel", Action::Cancelled(id)) }
        </> },
        Phase::Paused { .. } => html! { <>
            { button("Resume", "skiff-resume", Action::Resume(id)) }
            { button("Cancel", "skiff-cancel", Action::Cancelled(id)) }
        </> },
        // A failed file is never a dead end: try it again, or take it out of the round.
        Phase::Failed(_) => html! { <>
            { button("Retry", "skiff-retry", Action::Retry(id)) }
            { button("Remove", "skiff-remove", Action::Remove(id)) }
        </> },
        _ => html! {},
    };
    let percent = match e.phase {
        Phase::Uploading { percent, .. } | Phase::Paused { percent, .. } => Some(percent),
        _ => None,
    };
    let ext = extension(&e.name);
    let info = match &e.origin {
        Origin::Url(u) => u.clone(),
        o if o.is_folder() => t.get("Folder").to_owned(),
        _ => format!("{} · {}", human_size(e.size), e.mimetype),
    };
    let bad = matches!(e.phase, Phase::Refused(_) | Phase::Failed(_));
    html! {
        <li class="skiff-file" data-state={e.phase.name()} data-resumed={e.resumed.then_some("true")} key={e.id}>
            <span class="skiff-pic">
                <span class="skiff-thumb skiff-kind" aria-hidden="true">{ ext }</span>
                if let Some(src) = thumb {
                    <img class="skiff-thumb skiff-img" src={src.clone()} alt={t.get("Image preview").to_owned()} onerror={hide_broken()} />
                }
            </span>
            <div class="skiff-meta">
                <span class="skiff-file-name">{ &e.name }</span>
                <span class="skiff-file-info"><bdi dir="ltr">{ info }</bdi></span>
                <span class={classes!("skiff-file-note", bad.then_some("skiff-bad"))}>{ note(setup, e) }</span>
                if let (Some(r), Phase::Uploading { .. }) = (e.rate, &e.phase) {
                    <span class="skiff-file-rate"><bdi dir="ltr">{ pace(t, r) }</bdi></span>
                }
                if let Some(p) = percent {
                    <progress class="skiff-bar" max="100" value={p.to_string()} aria-label={e.name.clone()} />
                }
            </div>
            <div class="skiff-actions">{ actions }</div>
        </li>
    }
}
