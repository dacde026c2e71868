//! The picker's state hook: the selection (a reducer over [`Selection`]) and the callbacks that
//! change it (adding files and links, per-file commands), wired to the picked files (`picked`),
//! the app's checks (`checks`, an effect) and the running uploads (`uploads`, an effect that
//! starts what may start and reports the end).

use super::Setup;
use super::checks::use_app_checks;
use super::picked::{self, Came, Files};
use super::sel::Sel;
use super::uploads::{self, Tasks, Uploads};
use crate::model::cloud::CloudSource;
use crate::model::cloud::wire::CloudItem;
use crate::model::selection::{Action, EntryId, NewFile, Selection};
use crate::upload::driver::Command;
use skiff_engine::IdMap;
use std::rc::Rc;
use web_sys::File;
use yew::prelude::*;

/// What the picker's views use.
#[derive(Clone)]
pub(crate) struct PickerState {
    /// The selection.
    pub(crate) sel: UseReducerHandle<Sel>,
    /// Picked files, by entry.
    pub(crate) files: Files,
    /// Adds files the user picked, dropped or pasted.
    pub(crate) add_files: Callback<Vec<File>>,
    /// Adds the files the app handed to `crop(files)`.
    pub(crate) add_app_files: Callback<Vec<File>>,
    /// Adds a link; `false` when the text is not one.
    pub(crate) add_url: Rc<dyn Fn(String) -> bool>,
    /// Adds files of a cloud source.
    pub(crate) add_cloud: Rc<dyn Fn(CloudSource, Vec<CloudItem>)>,
    /// Per-file commands and Upload.
    pub(crate) act: Callback<Action>,
}

impl PartialEq for PickerState {
    fn eq(&self, other: &Self) -> bool {
        self.sel == other.sel
    }
}

/// The picker's state and effects.
#[hook]
pub(crate) fn use_picker(setup: Rc<Setup>) -> PickerState {
    let sel = use_reducer(|| Sel(Selection::new(setup.rules())));
    let files: Files = use_mut_ref(IdMap::new);
    let tasks: Tasks = use_mut_ref(IdMap::new);
    let next = use_mut_ref(|| 0 as EntryId);
    let announced = use_mut_ref(|| false);

    // Adds new entries; the app's checks start from the effect below once they are in.
    let admit: Rc<dyn Fn(Vec<NewFile>)> = {
        let (sel, setup) = (sel.clone(), setup.clone());
        Rc::new(move |new: Vec<NewFile>| {
            if setup.is_pane() && !sel.0.busy() {
                sel.dispatch(Action::Clear); // a new drop starts a new round
            }
            sel.dispatch(Action::Add(new));
            if setup.is_pane() {
                sel.dispatch(Action::Finish);
            }
        })
    };

    let adder = |came: Came| {
        let (files, setup, next, admit) =
            (files.clone(), setup.clone(), next.clone(), admit.clone());
        Callback::from(move |list: Vec<File>| {
            let mut new = Vec::new();
            for f in list {
                let id = next.replace_with(|n| *n + 1);
                let (entry, file) = picked::local(id, f, came, !setup.opts.disable_thumbnails);
                new.push(entry);
                files.borrow_mut().insert(id, file);
            }
            admit(new);
        })
    };
    let (add_files, add_app_files) = (adder(Came::Device), adder(Came::App));

    let add_cloud: Rc<dyn Fn(CloudSource, Vec<CloudItem>)> = {
        let (next, admit) = (next.clone(), admit.clone());
        Rc::new(move |source: CloudSource, items: Vec<CloudItem>| {
            let new = items
                .into_iter()
                .map(|item| picked::cloud(next.replace_with(|n| *n + 1), source, item))
                .collect();
            admit(new);
        })
    };

    let add_url: Rc<dyn Fn(String) -> bool> = {
        let next = next.clone();
        Rc::new(move |text: String| {
            let Some((url, name)) = picked::link(&text) else {
                return false;
            };
            let id = next.replace_with(|n| *n + 1);
            admit(vec![picked::linked(id, url, name)]);
            true
        })
    };

    let act = {
        let (sel, tasks, files) = (sel.clone(), tasks.clone(), files.clone());
        Callback::from(move |a: Action| {
            match a {
                Action::Pause(id) => uploads::command(&tasks, id, Command::Pause),
                Action::Resume(id) => uploads::command(&tasks, id, Command::Resume),
                // A running upload ends as cancelled through its task.
                Action::Cancelled(id) if tasks.borrow().contains_key(&id) => {
                    return uploads::command(&tasks, id, Command::Cancel);
                }
                Action::CancelAll => uploads::cancel_all(&tasks),
                Action::Remove(id) => {
                    files.borrow_mut().remove(&id);
                }
                _ => {}
            }
            sel.dispatch(a);
        })
    };

    use_app_checks(setup.clone(), sel.clone(), files.clone());

    // Start what may start; report the end. Runs after every change of the selection.
    {
        let uploads = Uploads {
            setup: setup.clone(),
            sel: sel.clone(),
            files: files.clone(),
            tasks: tasks.clone(),
            act: act.clone(),
            announced,
            next,
        };
        use_effect_with(sel.clone(), move |sel| uploads.advance(&sel.0));
    }

    // Unmounting stops every upload still running.
    {
        let tasks = tasks.clone();
        use_effect_with((), move |_| move || uploads::cancel_all(&tasks));
    }

    PickerState {
        sel,
        files,
        add_files,
        add_app_files,
        add_url,
        add_cloud,
        act,
    }
}
