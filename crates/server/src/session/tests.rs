use super::*;

fn session(size: u64, fii: bool) -> Session {
    Session {
        id: "u".into(),
        app: "k".into(),
        filename: "f".into(),
        mimetype: "m/m".into(),
        size,
        target: StoreTarget::default(),
        fii,
        created_at: 0,
        expires_at: 100,
        completed: None,
        direct: None,
        handle: "h".into(),
        edge: None,
    }
}

fn regular(part: u32, size: u64, etag: &str) -> PartRecord {
    PartRecord {
        part,
        size,
        etag: Some(etag.into()),
        pieces: vec![Piece {
            id: format!("r{part}"),
            size,
        }],
    }
}

fn committed(part: u32, sizes: &[u64]) -> PartRecord {
    PartRecord {
        part,
        size: sizes.iter().sum(),
        etag: None,
        pieces: sizes
            .iter()
            .enumerate()
            .map(|(i, s)| Piece {
                id: format!("c{part}.{i}"),
                size: *s,
            })
            .collect(),
    }
}

fn refs(list: &[(u64, &str)]) -> Vec<PartRef> {
    list.iter()
        .map(|(n, e)| PartRef {
            part_number: *n,
            etag: (*e).into(),
        })
        .collect()
}

fn ids(pieces: &[Piece]) -> Vec<&str> {
    pieces.iter().map(|p| p.id.as_str()).collect()
}

#[test]
fn filenames() {
    assert_eq!(filename(Some("a b.txt")).unwrap(), "a b.txt");
    assert_eq!(filename(None).unwrap(), UNNAMED);
    assert_eq!(filename(Some("  ")).unwrap(), UNNAMED);
    for bad in ["../x", "a/b", "a\\b", "..", "a\u{0}b", &"x".repeat(256)] {
        assert_eq!(
            filename(Some(bad)).unwrap_err().code,
            ErrorCode::InvalidPath,
            "{bad:?}"
        );
    }
}

#[test]
fn paths_and_targets() {
    assert_eq!(storage_path("/up/a.txt").unwrap(), "up/a.txt");
    assert_eq!(storage_path("up/").unwrap(), "up/");
    for bad in ["up/../../etc", "./a", "a//b", "a\\b", "a\nb"] {
        assert_eq!(
            storage_path(bad).unwrap_err().code,
            ErrorCode::InvalidPath,
            "{bad:?}"
        );
    }
    let t = store_target(None, "skiff", &[]).unwrap();
    assert_eq!((t.location.as_str(), t.container.as_str()), ("s3", "skiff"));
    let p = |json: &str| serde_json::from_str::<StoreParams>(json).unwrap();
    // A location of the config is taken, by its name, in any case.
    let archive = store_target(Some(&p(r#"{"location":"Archive"}"#)), "x", &["archive"]).unwrap();
    assert_eq!(archive.location, "archive");
    assert_eq!(
        store_target(Some(&p(r#"{"location":"S3","container":"b-1"}"#)), "x", &[])
            .unwrap()
            .container,
        "b-1"
    );
    assert_eq!(
        store_target(Some(&p(r#"{"location":"azure"}"#)), "x", &[])
            .unwrap_err()
            .code,
        ErrorCode::UnsupportedLocation
    );
    assert_eq!(
        store_target(Some(&p(r#"{"container":"../x"}"#)), "x", &[])
            .unwrap_err()
            .code,
        ErrorCode::InvalidPath
    );
    assert_eq!(
        store_target(Some(&p(r#"{"access":"world"}"#)), "x", &[])
            .unwrap_err()
            .code,
        ErrorCode::InvalidField
    );
    let folder = store_target(Some(&p(r#"{"path":"/docs/"}"#)), "x", &[]).unwrap();
    assert_eq!(storage_key(&folder, "a.txt", "U"), "docs/U_a.txt");
    let exact = store_target(Some(&p(r#"{"path":"docs/b.txt"}"#)), "x", &[]).unwrap();
    assert_eq!(storage_key(&exact, "a.txt", "U"), "docs/b.txt");
    assert_eq!(storage_key(&t, "a.txt", "U"), "U_a.txt");
}

#[test]
fn sessions() {
    let s = session(10, false);
    assert!(live_session(Some(s.clone()), "u", "k", 99).is_ok());
    assert_eq!(
        live_session(Some(s.clone()), "u", "other", 99)
            .unwrap_err()
            .code,
        ErrorCode::UnknownUpload
    );
    assert_eq!(
        live_session(None, "u", "k", 99).unwrap_err().code,
        ErrorCode::UnknownUpload
    );
    assert_eq!(
        live_session(Some(s), "u", "k", 100).unwrap_err().code,
        ErrorCode::UploadExpired
    );
}

#[test]
fn slots() {
    let s = session(100, true);
    let md5 = "1B2M2Y8AsgTpgAmY7PhCfg=="; // MD5 of ""
    assert_eq!(
        slot(&s, Some(1), Some(10), None, false, Some(md5))
            .unwrap()
            .md5
            .unwrap()[0],
        0xd4
    );
    assert_eq!(
        slot(&s, Some(2), Some(10), None, true, None)
            .unwrap()
            .offset,
        Some(0)
    );
    type Case<'a> = (
        Option<u64>,
        Option<u64>,
        Option<u64>,
        bool,
        Option<&'a str>,
        ErrorCode,
    );
    let cases: &[Case<'_>] = &[
        (None, Some(1), None, false, None, ErrorCode::MissingField),
        (
            Some(0),
            Some(1),
            None,
            false,
            None,
            ErrorCode::PartOutOfRange,
        ),
        (
            Some(10_001),
            Some(1),
            None,
            false,
            None,
            ErrorCode::PartOutOfRange,
        ),
        (Some(1), None, None, false, None, ErrorCode::MissingField),
        (
            Some(1),
            Some(0),
            None,
            false,
            None,
            ErrorCode::PartOutOfRange,
        ),
        (
            Some(1),
            Some(101),
            None,
            false,
            None,
            ErrorCode::PartOutOfRange,
        ),
        (
            Some(1),
            Some(10),
            Some(95),
            true,
            None,
            ErrorCode::PartOutOfRange,
        ),
        (
            Some(1),
            Some(10),
            None,
            false,
            Some("abc"),
            ErrorCode::InvalidField,
        ),
        (
            Some(1),
            Some(10),
            None,
            false,
            Some("YWJj"),
            ErrorCode::InvalidField,
        ),
    ];
    for (part, size, offset, fii, md5, code) in cases {
        assert_eq!(
            slot(&s, *part, *size, *offset, *fii, *md5)
                .unwrap_err()
                .code,
            *code,
            "{part:?} {size:?} {offset:?}"
        );
    }
}

#[test]
fn commits() {
    let ch = |offset, size, piece: &str| ChunkRecord {
        part: 1,
        offset,
        size,
        piece: piece.into(),
    };
    // Shrunk re-sends: 0..4 replaced the first 8-byte try at 0; then 4..6, 6..8.
    let p = plan_commit(1, &[ch(0, 4, "a"), ch(4, 2, "b"), ch(6, 2, "c")]).unwrap();
    assert_eq!((p.size, ids(&p.pieces)), (8, vec!["a", "b", "c"]));
    // A chunk overlapped by a smaller re-send is skipped.
    let p = plan_commit(1, &[ch(0, 4, "a"), ch(2, 4, "x"), ch(4, 4, "b")]).unwrap();
    assert_eq!(ids(&p.pieces), vec!["a", "b"]);
    assert_eq!(
        plan_commit(1, &[ch(0, 4, "a"), ch(5, 1, "b")])
            .unwrap_err()
            .code,
        ErrorCode::IncompleteUpload
    );
    assert_eq!(
        plan_commit(1, &[ch(3, 4, "a")]).unwrap_err().code,
        ErrorCode::IncompleteUpload
    );
    assert_eq!(
        plan_commit(1, &[]).unwrap_err().code,
        ErrorCode::PartMissing
    );
}

#[test]
fn completes() {
    let s = session(12, false);
    let parts = [
        regular(1, 5, "aa"),
        regular(2, 5, "bb"),
        regular(3, 2, "cc"),
    ];
    let all = refs(&[(3, "\"CC\""), (1, "\"aa\""), (2, "bb")]);
    assert_eq!(
        ids(&plan_complete(&s, &parts, Some(&all), false).unwrap()),
        vec!["r1", "r2", "r3"]
    );
    // Without a list, every recorded regular part is used.
    assert_eq!(plan_complete(&s, &parts, None, false).unwrap().len(), 3);
    let code = |list: &[(u64, &str)]| {
        plan_complete(&s, &parts, Some(&refs(list)), false)
            .unwrap_err()
            .code
    };
    assert_eq!(
        code(&[(1, "aa"), (2, "xx"), (3, "cc")]),
        ErrorCode::PartMissing
    );
    assert_eq!(
        code(&[(1, "aa"), (2, "bb"), (4, "cc")]),
        ErrorCode::PartMissing
    );
    assert_eq!(code(&[(1, "aa"), (3, "cc")]), ErrorCode::IncompleteUpload);
    assert_eq!(code(&[(1, "aa"), (2, "bb")]), ErrorCode::IncompleteUpload);

    // Intelligent: committed parts without a list; mixed with a partial list.
    let f = session(12, true);
    let fii = [
        committed(1, &[3, 2]),
        committed(2, &[5]),
        committed(3, &[1, 1]),
    ];
    assert_eq!(
        ids(&plan_complete(&f, &fii, None, true).unwrap()),
        vec!["c1.0", "c1.1", "c2.0", "c3.0", "c3.1"]
    );
    let mixed = [regular(1, 5, "aa"), committed(2, &[5]), committed(3, &[2])];
    let pieces = plan_complete(&f, &mixed, Some(&refs(&[(1, "aa")])), true).unwrap();
    assert_eq!(ids(&pieces), vec!["r1", "c2.0", "c3.0"]);
    assert_eq!(
        plan_complete(&f, &fii[..2], None, true).unwrap_err().code,
        ErrorCode::IncompleteUpload
    );

    // An empty file has no parts.
    assert!(
        plan_complete(&session(0, false), &[], None, false)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn held_completes_wait_for_listed_parts_not_yet_recorded() {
    let s = session(12, false);
    let list = refs(&[(1, "\"AA\""), (2, "bb"), (3, "cc")]);
    let all = [
        regular(1, 5, "aa"),
        regular(2, 5, "bb"),
        regular(3, 2, "cc"),
    ];
    // Nothing yet, then some, then all (in any order): waits until every listed part is in.
    assert!(parts_awaited(&s, &[], Some(&list), false));
    assert!(parts_awaited(&s, &all[..2], Some(&list), false));
    assert!(parts_awaited(
        &s,
        &[all[2].clone(), all[0].clone()],
        Some(&list),
        false
    ));
    assert!(!parts_awaited(&s, &all, Some(&list), false));
    // A listed part held with another ETag is not waited for, even with others missing:
    // complete refuses it at once.
    let other = [regular(1, 5, "zz")];
    assert!(!parts_awaited(&s, &other, Some(&list), false));
    assert_eq!(
        plan_complete(&s, &other, Some(&list), false)
            .unwrap_err()
            .code,
        ErrorCode::PartMissing
    );
    // A list with a gap, or parts that do not add up, cannot be mended by waiting: complete
    // answers as it would.
    let gap = refs(&[(1, "aa"), (3, "cc")]);
    assert!(!parts_awaited(
        &s,
        &[all[0].clone(), all[2].clone()],
        Some(&gap),
        false
    ));
    // A committed part (no ETag) counts as recorded.
    let mixed = [regular(1, 5, "aa"), committed(2, &[5]), regular(3, 2, "cc")];
    assert!(!parts_awaited(&s, &mixed, Some(&list), false));
}

#[test]
fn held_completes_without_a_list_wait_for_the_file_size() {
    let s = session(12, false);
    let all = [
        regular(1, 5, "aa"),
        regular(2, 5, "bb"),
        regular(3, 2, "cc"),
    ];
    for listed in [None, Some(&[][..])] {
        assert!(parts_awaited(&s, &[], listed, false));
        assert!(parts_awaited(&s, &all[..2], listed, false));
        assert!(!parts_awaited(&s, &all, listed, false));
        // Committed parts (no ETag) are not regular ones: still short.
        let mixed = [regular(1, 5, "aa"), committed(2, &[5]), regular(3, 2, "cc")];
        assert!(parts_awaited(&s, &mixed, listed, false));
        // More than the file: waiting cannot help, complete refuses it.
        assert!(!parts_awaited(&s, &[regular(1, 13, "aa")], listed, false));
    }
    // An empty file is never waited for.
    assert!(!parts_awaited(&session(0, false), &[], None, false));
}

#[test]
fn held_intelligent_completes_wait_for_committed_parts_to_hold_the_file() {
    let s = session(12, true);
    let committed_all = [committed(1, &[5]), committed(2, &[5]), committed(3, &[2])];
    assert!(parts_awaited(&s, &[], None, true));
    assert!(parts_awaited(&s, &committed_all[..2], None, true));
    assert!(!parts_awaited(&s, &committed_all, None, true));
    // A regular part sent before the switch (fii's fallback) counts, listed or not.
    let mixed = [regular(1, 5, "aa"), committed(2, &[5]), committed(3, &[2])];
    assert!(!parts_awaited(&s, &mixed, None, true));
    let list = refs(&[(1, "aa")]);
    assert!(parts_awaited(&s, &mixed[..2], Some(&list), true));
    assert!(!parts_awaited(&s, &mixed, Some(&list), true));
    assert!(
        parts_awaited(&s, &mixed[1..], Some(&list), true),
        "listed part 1 not in yet"
    );
}

#[test]
fn direct_parts_are_listed_once_each_from_one_and_hold_the_file() {
    let asked = [regular(1, 5, ""), regular(2, 3, ""), regular(3, 4, "")];
    let plan = |size: u64, parts: Option<&[(u64, &str)]>| {
        let listed = parts.map(refs);
        plan_direct(&session(size, false), listed.as_deref(), &asked)
    };
    assert_eq!(
        plan(8, Some(&[(2, "\"bb\""), (1, " aa ")])).unwrap(),
        ["aa", "\"bb\""]
    );
    let code = |size: u64, parts: Option<&[(u64, &str)]>| plan(size, parts).unwrap_err().code;
    assert_eq!(code(8, None), ErrorCode::PartMissing);
    assert_eq!(code(8, Some(&[])), ErrorCode::PartMissing);
    assert_eq!(code(3, Some(&[(2, "bb")])), ErrorCode::PartMissing);
    assert_eq!(
        code(10, Some(&[(1, "aa"), (1, "ab")])),
        ErrorCode::PartMissing
    );
    assert_eq!(
        code(9, Some(&[(1, "aa"), (3, "cc")])),
        ErrorCode::PartMissing
    );
    // Never asked for; or not the file's size.
    let four = [(1, "a"), (2, "b"), (3, "c"), (4, "d")];
    assert_eq!(code(12, Some(&four)), ErrorCode::PartMissing);
    assert_eq!(
        code(9, Some(&[(1, "aa"), (2, "bb")])),
        ErrorCode::IncompleteUpload
    );
}
