//! The link source: a form that adds a link for the server to fetch.

use crate::picker::Setup;
use crate::picker::state::PickerState;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The link field, and whether the last link given was refused.
pub(super) struct UrlUi {
    input: NodeRef,
    error: UseStateHandle<bool>,
}

#[hook]
pub(super) fn use_url_ui() -> UrlUi {
    UrlUi {
        input: use_node_ref(),
        error: use_state(|| false),
    }
}

/// The form; a valid link is added and the field emptied, anything else shows the error line.
pub(super) fn view(setup: &Setup, st: &PickerState, ui: &UrlUi) -> Html {
    let t = &setup.text;
    let url_id = format!("skiff-url-{}", setup.uid);
    let onsubmit = {
        let (add, input, error) = (st.add_url.clone(), ui.input.clone(), ui.error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(i) = input.cast::<HtmlInputElement>() {
                let ok = add(i.value());
                error.set(!ok);
                if ok {
                    i.set_value("");
                }
            }
        })
    };
    let error = *ui.error;
    html! {
        <form class="skiff-url" {onsubmit} novalidate=true>
            <label for={url_id.clone()}>{ t.get("Paste a link to a file") }</label>
            <div class="skiff-row">
                <input id={url_id} type="url" class="skiff-url-input" placeholder="https://" ref={ui.input.clone()}
                    aria-invalid={error.to_string()} aria-label={t.get("Link to a file").to_owned()} />
                <button type="submit" class="skiff-btn skiff-url-add">{ t.get("Add") }</button>
            </div>
            if error {
                <p class="skiff-error">{ t.get("This is not a valid link") }</p>
            }
        </form>
    }
}
