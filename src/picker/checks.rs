//! The app's checks of each picked file (`acceptFn`, then `onFileSelected`, merged by the JS entry
//! into one `check`), started by an effect: after each change of the selection, every entry that
//! waits for the app and has not been handed to it yet is. Reading the selection as rendered
//! (instead of predicting the state an `Add` will produce) keeps one reducer the only judge of
//! which files need the app's word.

use super::Setup;
use super::bridge::file_object;
use super::picked::Files;
use super::sel::Sel;
use crate::model::selection::{Action, EntryId, Phase};
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Runs the app's check of each entry once, and dispatches its verdict.
#[hook]
pub(crate) fn use_app_checks(setup: Rc<Setup>, sel: UseReducerHandle<Sel>, files: Files) {
    // Entries handed to the app whose verdict has not come back.
    let asked = use_mut_ref(Vec::<EntryId>::new);
    use_effect_with(sel.clone(), move |state| {
        let checking: Vec<_> = state
            .0
            .entries
            .iter()
            .filter(|e| e.phase == Phase::Checking)
            .collect();
        let mut asked = asked.borrow_mut();
        asked.retain(|id| checking.iter().any(|e| e.id == *id));
        for e in checking {
            if asked.contains(&e.id) {
                continue;
            }
            asked.push(e.id);
            let file = files
                .borrow()
                .get(&e.id)
                .map(|p| JsValue::from(p.file.clone()));
            let object = file_object(e, file.as_ref());
            let (sel, hooks, id) = (sel.clone(), setup.hooks.clone(), e.id);
            spawn_local(async move {
                let verdict = hooks.check(object).await;
                sel.dispatch(Action::Checked(id, verdict));
            });
        }
    });
}
