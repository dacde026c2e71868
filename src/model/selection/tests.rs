use super::*;
use crate::model::accept::parse_rule;
use serde_json::json;

thread_local! {
    static NEXT: std::cell::Cell<EntryId> = const { std::cell::Cell::new(0) };
}

/// Rules for a test; ids of the files it adds start again from 0.
fn rules() -> Rules {
    NEXT.with(|n| n.set(0));
    Rules {
        accept: vec![parse_rule("image/*").unwrap(), parse_rule(".pdf").unwrap()],
        max_size: Some(1000),
        min_files: 1,
        max_files: 3,
        concurrency: 2,
        ..Rules::default()
    }
}

fn local(name: &str, size: u64, mime: &str) -> NewFile {
    let id = NEXT.with(|n| n.replace(n.get() + 1));
    NewFile {
        id,
        name: name.into(),
        size,
        mimetype: mime.into(),
        origin: Origin::Local,
    }
}

fn phases(s: &Selection) -> Vec<&'static str> {
    s.entries.iter().map(|e| e.phase.name()).collect()
}

#[test]
fn refusals_are_kept_with_their_reason() {
    let s = Selection::new(rules()).reduce(Action::Add(vec![
        local("cat.png", 10, "image/png"),
        local("virus.exe", 10, "application/x-msdownload"),
        local("big.pdf", 5000, ""),
        local("a.pdf", 1, ""),
        local("b.pdf", 1, ""),
        local("c.pdf", 1, ""),
    ]));
    let refusals: Vec<_> = s
        .entries
        .iter()
        .map(|e| match &e.phase {
            Phase::Refused(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        refusals,
        [
            None,
            Some(Refusal::Type),
            Some(Refusal::TooBig(1000)),
            None,
            None,
            Some(Refusal::TooMany(3))
        ]
    );
    assert_eq!(s.counted(), 3);
    // Removing a file makes room for another.
    let s = s
        .reduce(Action::Remove(0))
        .reduce(Action::Add(vec![local("d.pdf", 1, "")]));
    assert_eq!(s.entries.last().unwrap().phase, Phase::Ready);
}

#[test]
fn links_skip_the_local_checks_but_count() {
    let s = Selection::new(rules()).reduce(Action::Add(vec![NewFile {
        id: 0,
        name: "x.exe".into(),
        size: 0,
        mimetype: String::new(),
        origin: Origin::Url("https://example.com/x.exe".into()),
    }]));
    assert_eq!(phases(&s), ["ready"]);
}

#[test]
fn app_checks_veto_or_rename() {
    let r = Rules {
        app_checks: true,
        ..rules()
    };
    let s = Selection::new(r).reduce(Action::Add(vec![
        local("a.png", 1, "image/png"),
        local("b.png", 1, "image/png"),
    ]));
    assert_eq!(phases(&s), ["checking", "checking"]);
    assert_eq!(s.can_start(), Err(1));
    let s = s
        .reduce(Action::Checked(0, Ok(Some("renamed.png".into()))))
        .reduce(Action::Checked(1, Err("no cats".into())));
    assert_eq!(s.entries[0].name, "renamed.png");
    assert_eq!(
        s.entries[1].phase,
        Phase::Refused(Refusal::Vetoed("no cats".into()))
    );
    assert_eq!(s.can_start(), Ok(()));
}

#[test]
fn min_files_holds_the_upload_back() {
    let r = Rules {
        min_files: 2,
        ..rules()
    };
    let s = Selection::new(r).reduce(Action::Add(vec![local("a.pdf", 1, "")]));
    assert_eq!(s.can_start(), Err(2));
    let s = s.reduce(Action::Start);
    assert!(
        !s.finishing,
        "Start is ignored while too few files are picked"
    );
    let s = s
        .reduce(Action::Add(vec![local("b.pdf", 1, "")]))
        .reduce(Action::Start);
    assert_eq!(phases(&s), ["queued", "queued"]);
}

#[test]
fn uploads_run_within_the_concurrency_and_finish() {
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![
            local("a.pdf", 100, ""),
            local("b.pdf", 100, ""),
            local("c.pdf", 100, ""),
        ]))
        .reduce(Action::Start);
    assert_eq!(s.startable(), [0, 1]);
    let s = s.reduce(Action::Began(0)).reduce(Action::Began(1));
    assert_eq!(s.startable(), Vec::<EntryId>::new());
    let s = s
        .reduce(Action::Progress(0, 50, 50, None))
        .reduce(Action::Progress(0, 40, 40, None));
    assert_eq!(
        s.entries[0].phase,
        Phase::Uploading {
            bytes: 50,
            percent: 50
        },
        "progress never goes back"
    );
    assert_eq!(s.total(), (50, 300, 16));
    let s = s.reduce(Action::Pause(0));
    assert_eq!(
        s.startable(),
        Vec::<EntryId>::new(),
        "a paused file keeps its slot"
    );
    let s = s.reduce(Action::Progress(0, 70, 70, None));
    assert_eq!(
        s.entries[0].phase,
        Phase::Paused {
            bytes: 50,
            percent: 50
        },
        "a late report does not move a paused row"
    );
    let s = s
        .reduce(Action::Resume(0))
        .reduce(Action::Ended(0, Ok(json!({"handle": "h"}))));
    assert_eq!(s.startable(), [2]);
    let s = s
        .reduce(Action::Began(2))
        .reduce(Action::Ended(1, Err(Failure::local(None, "HTTP 500"))))
        .reduce(Action::Cancelled(2));
    assert!(s.finished());
    let (done, failed) = s.outcome();
    assert_eq!((done.len(), failed.len()), (1, 1));
    // A retry puts the failed file back in the queue; the picker finishes again afterwards.
    let s = s.reduce(Action::Reported).reduce(Action::Retry(1));
    assert!(!s.finished() && s.startable() == [1]);
    let s = s
        .reduce(Action::Began(1))
        .reduce(Action::Ended(1, Ok(json!({}))));
    assert!(s.finished() && !s.any_failed());
}

#[test]
fn a_resumed_upload_is_marked_until_it_is_tried_again() {
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![local("a.pdf", 100, "")]))
        .reduce(Action::Resumed(0));
    assert!(!s.entries[0].resumed, "only an upload that runs carries on");
    let s = s
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Resumed(0))
        .reduce(Action::Progress(0, 60, 60, None));
    assert!(s.entries[0].resumed);
    let s = s
        .reduce(Action::Ended(0, Err(Failure::local(None, "HTTP 500"))))
        .reduce(Action::Retry(0));
    assert!(
        !s.entries[0].resumed,
        "a retry says so again only if it carries on"
    );
}

#[test]
fn background_and_start_at_max() {
    let r = Rules {
        background: true,
        ..rules()
    };
    let s = Selection::new(r).reduce(Action::Add(vec![local("a.pdf", 1, "")]));
    assert_eq!(phases(&s), ["queued"]);
    assert!(!s.finishing);
    assert_eq!(s.can_start(), Ok(()), "Upload finishes a background upload");

    let r = Rules {
        start_at_max: true,
        max_files: 2,
        ..rules()
    };
    let s = Selection::new(r).reduce(Action::Add(vec![local("a.pdf", 1, "")]));
    assert_eq!(phases(&s), ["ready"]);
    let s = s.reduce(Action::Add(vec![local("b.pdf", 1, "")]));
    assert_eq!(phases(&s), ["queued", "queued"]);
    assert!(s.finishing);
}

#[test]
fn cancel_all_ends_everything_pending() {
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![
            local("a.pdf", 1, ""),
            local("b.pdf", 1, ""),
        ]))
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::CancelAll);
    assert_eq!(phases(&s), ["cancelled", "cancelled"]);
    assert!(
        !s.finished(),
        "nothing stored or failed: the app hears onCancel, not onUploadDone"
    );
    // Uploading files cannot be removed; refused ones can.
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![
            local("a.pdf", 1, ""),
            local("x.exe", 1, ""),
        ]))
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Remove(0))
        .reduce(Action::Remove(1));
    assert_eq!(phases(&s), ["uploading"]);
}

#[test]
fn clear_starts_a_new_round() {
    let r = Rules {
        background: true,
        ..rules()
    };
    let s = Selection::new(r)
        .reduce(Action::Add(vec![
            local("a.pdf", 1, ""),
            local("x.exe", 1, ""),
        ]))
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Ended(0, Ok(json!({}))));
    assert!(s.finished());
    let s = s.reduce(Action::Reported).reduce(Action::Clear);
    assert!(s.entries.is_empty() && !s.finishing && !s.reported);
    let s = s
        .reduce(Action::Add(vec![local("b.pdf", 1, "")]))
        .reduce(Action::Start);
    assert_eq!(phases(&s), ["queued"]);
}

#[test]
fn files_added_after_a_reported_round_are_the_next_batch() {
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![
            local("a.pdf", 1, ""),
            local("b.pdf", 1, ""),
        ]))
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Began(1))
        .reduce(Action::Ended(0, Ok(json!({}))))
        .reduce(Action::Ended(1, Err(Failure::local(None, "gone"))));
    assert!(s.finished());
    let s = s.reduce(Action::Reported);
    // A failed file can be taken out of the reported round.
    let s = s.reduce(Action::Remove(1));
    assert_eq!(phases(&s), ["done"]);
    assert!(s.reported && s.finishing && !s.any_failed());
    // New files: the reported round's rows leave, and the footer's state is the new batch's.
    let s = s.reduce(Action::Add(vec![local("c.pdf", 1, "")]));
    assert_eq!(phases(&s), ["ready"]);
    assert!(!s.reported && !s.finishing);
    assert_eq!(s.counted(), 1);
}

#[test]
fn finish_waits_for_the_app_checks() {
    let r = Rules {
        background: true,
        app_checks: true,
        ..rules()
    };
    let s = Selection::new(r)
        .reduce(Action::Add(vec![
            local("a.pdf", 1, ""),
            local("b.pdf", 1, ""),
        ]))
        .reduce(Action::Finish);
    assert_eq!(phases(&s), ["checking", "checking"]);
    let s = s
        .reduce(Action::Checked(0, Ok(None)))
        .reduce(Action::Checked(1, Err("no".into())))
        .reduce(Action::Began(0));
    assert!(!s.finished());
    let s = s.reduce(Action::Ended(0, Ok(json!({}))));
    assert!(s.finished());
}

#[test]
fn cloud_files_meet_the_same_rules_as_local_ones_and_are_found_by_source_and_path() {
    let cloud = |name: &str, size: u64, mime: &str| NewFile {
        origin: Origin::Cloud(CloudSource::Dropbox, format!("/{name}")),
        ..local(name, size, mime)
    };
    let s = Selection::new(rules()).reduce(Action::Add(vec![
        cloud("cat.png", 10, "image/png"),
        cloud("notes.txt", 10, "text/plain"),
        cloud("big.pdf", 5000, "application/pdf"),
    ]));
    assert_eq!(phases(&s), ["ready", "refused", "refused"]);
    assert_eq!(s.entries[1].phase, Phase::Refused(Refusal::Type));
    assert_eq!(s.entries[2].phase, Phase::Refused(Refusal::TooBig(1000)));
    assert!(s.cloud_entry(CloudSource::Dropbox, "/cat.png").is_some());
    assert!(s.cloud_entry(CloudSource::Box, "/cat.png").is_none());
    let id = s.entries[0].id;
    let s = s.reduce(Action::Remove(id));
    assert!(
        s.cloud_entry(CloudSource::Dropbox, "/cat.png").is_none(),
        "unchecked"
    );
}

fn cloud_at(path: &str, size: u64, mime: &str) -> NewFile {
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    NewFile {
        origin: Origin::Cloud(CloudSource::Dropbox, path.into()),
        ..local(name, size, mime)
    }
}

#[test]
fn a_picked_folder_is_replaced_by_its_files_which_meet_the_rules_and_join_the_upload() {
    let s = Selection::new(Rules {
        concurrency: 1,
        ..rules()
    })
    .reduce(Action::Add(vec![
        cloud_at("/a.png", 10, "image/png"),
        // A folder is not typed or sized: it is admitted, and checked file by file later.
        cloud_at("/Fotos/", 0, ""),
        cloud_at("/z.png", 10, "image/png"),
    ]));
    assert_eq!(phases(&s), ["ready", "ready", "ready"]);
    assert!(s.entries[1].origin.is_folder());
    assert!(s.cloud_entry(CloudSource::Dropbox, "/Fotos/").is_some());
    let folder = s.entries[1].id;
    let s = s
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Ended(0, Ok(json!({}))))
        .reduce(Action::Began(folder));
    let listed = vec![
        cloud_at("/Fotos/b.png", 10, "image/png"),
        cloud_at("/Fotos/big.png", 5000, "image/png"),
        cloud_at("/Fotos/c.png", 10, "image/png"),
    ];
    let s = s.reduce(Action::Expanded(folder, Ok(listed)));
    let names: Vec<&str> = s.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a.png", "b.png", "big.png", "c.png", "z.png"]);
    // Too big, then one over maxFiles (3: a.png, z.png and b.png count before c.png).
    assert_eq!(
        phases(&s),
        ["done", "queued", "refused", "refused", "queued"]
    );
    assert_eq!(s.entries[3].phase, Phase::Refused(Refusal::TooMany(3)));
    assert_eq!(s.startable().len(), 1);
    assert!(!s.finished());
}

#[test]
fn a_folder_that_cannot_be_listed_fails_and_can_be_retried() {
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![cloud_at("/Fotos/", 0, "")]))
        .reduce(Action::Start)
        .reduce(Action::Began(0));
    let too_many = Failure::local(Some(crate::model::failure::FOLDER_TOO_LARGE), "over 3");
    let s = s.reduce(Action::Expanded(0, Err(too_many.clone())));
    assert_eq!(s.entries[0].phase, Phase::Failed(too_many.clone()));
    assert_eq!(
        too_many.sentence(),
        crate::model::failure::sentence::FOLDER_TOO_LARGE
    );
    assert!(s.finished());
    let s = s.reduce(Action::Retry(0));
    assert_eq!(phases(&s), ["queued"]);
    // A listing that arrives after the folder was cancelled changes nothing.
    let s = s
        .reduce(Action::Began(0))
        .reduce(Action::Cancelled(0))
        .reduce(Action::Expanded(
            0,
            Ok(vec![cloud_at("/Fotos/b.png", 1, "image/png")]),
        ));
    assert_eq!(phases(&s), ["cancelled"]);
}

#[test]
fn a_folders_files_checked_by_the_app_join_the_running_upload() {
    let s = Selection::new(Rules {
        app_checks: true,
        ..rules()
    })
    .reduce(Action::Add(vec![cloud_at("/Fotos/", 0, "")]));
    assert_eq!(phases(&s), ["ready"], "the folder itself is not checked");
    let s = s
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Expanded(
            0,
            Ok(vec![cloud_at("/Fotos/b.png", 1, "image/png")]),
        ));
    assert_eq!(phases(&s), ["checking"]);
    let s = s.reduce(Action::Checked(1, Ok(None)));
    assert_eq!(phases(&s), ["queued"]);
}

#[test]
fn a_round_whose_every_file_was_cancelled_is_over_and_the_next_pick_waits_for_upload() {
    let s = Selection::new(rules())
        .reduce(Action::Add(vec![local("a.png", 1, "image/png")]))
        .reduce(Action::Start)
        .reduce(Action::Began(0))
        .reduce(Action::Cancelled(0));
    assert!(!s.finishing);
    assert!(!s.finished(), "nothing to report");
    let s = s.reduce(Action::Add(vec![local("b.png", 1, "image/png")]));
    assert_eq!(phases(&s), ["cancelled", "ready"]);
}
