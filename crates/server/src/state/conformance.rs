//! The one test suite every [`StateStore`] must pass (call [`run`] from the backend's tests).

#![allow(clippy::unwrap_used)]

use super::{
    ChunkRecord, FileRecord, NewWebhook, PartRecord, Session, StateError, StateStore, StoreTarget,
};
use crate::storage::Piece;
use skiff_protocol::UploadTags;

/// A session that expires at `expires_at` (for backend tests).
pub fn session(id: &str, expires_at: i64) -> Session {
    Session {
        id: id.into(),
        app: "app".into(),
        filename: "a.bin".into(),
        mimetype: "application/octet-stream".into(),
        size: 10,
        target: StoreTarget {
            location: "s3".into(),
            container: "c".into(),
            ..StoreTarget::default()
        },
        fii: true,
        created_at: 0,
        expires_at,
        completed: None,
        direct: None,
        handle: format!("h_{id}"),
        edge: None,
    }
}

/// A file record (for backend tests).
pub fn file(handle: &str) -> FileRecord {
    FileRecord {
        handle: handle.into(),
        app: "app".into(),
        filename: "a.bin".into(),
        mimetype: "application/octet-stream".into(),
        size: 10,
        key: format!("k_{handle}"),
        path: None,
        container: "c".into(),
        location: "local".into(),
        uploaded_at: 5,
        upload_tags: UploadTags::from_pairs([("t", "v")]),
        md5: None,
        source_url: None,
        alt: None,
        transfer: None,
    }
}

/// A webhook to `http://hook/<n>` (for backend tests).
pub fn hook(n: u32) -> NewWebhook {
    NewWebhook {
        app: "app".into(),
        url: format!("http://hook/{n}"),
        secret: None,
        event: serde_json::json!({ "n": n }),
    }
}

/// Writes a session with a part and a chunk, and a file (used to check persistence).
pub async fn seed(s: &dyn StateStore) {
    s.insert_session(&session("s1", 100)).await.unwrap();
    let part = PartRecord {
        part: 1,
        size: 4,
        etag: Some("e1".into()),
        pieces: vec![Piece {
            id: "p1".into(),
            size: 4,
        }],
    };
    s.put_part("s1", &part).await.unwrap();
    s.put_chunk(
        "s1",
        &ChunkRecord {
            part: 2,
            offset: 0,
            size: 6,
            piece: "c1".into(),
        },
    )
    .await
    .unwrap();
    s.insert_file(&file("h0"), &[hook(0)], 1).await.unwrap();
}

/// Checks what [`seed`] wrote.
pub async fn check_seeded(s: &dyn StateStore) {
    assert_eq!(s.session("s1").await.unwrap(), Some(session("s1", 100)));
    assert_eq!(s.parts("s1").await.unwrap()[0].etag.as_deref(), Some("e1"));
    assert_eq!(s.chunks("s1", 2).await.unwrap()[0].piece, "c1");
    assert_eq!(s.file("h0").await.unwrap(), Some(file("h0")));
    assert_eq!(s.due_webhooks(1, 10).await.unwrap().len(), 1);
}

/// Runs every check against `s`, which must start empty.
pub async fn run(s: &dyn StateStore) {
    seed(s).await;
    check_seeded(s).await;
    assert_eq!(s.session("nope").await.unwrap(), None);
    // A session is found by the handle its file will have, and after it completed too.
    assert_eq!(
        s.session_for_handle("h_s1").await.unwrap(),
        Some(session("s1", 100))
    );
    assert_eq!(s.session_for_handle("h_nope").await.unwrap(), None);

    // Parts replace by number and list in order; chunks replace by offset.
    let p = |n: u32, etag: &str| PartRecord {
        part: n,
        size: 1,
        etag: Some(etag.into()),
        pieces: vec![],
    };
    s.put_part("s1", &p(3, "x")).await.unwrap();
    s.put_part("s1", &p(1, "e1b")).await.unwrap();
    let parts = s.parts("s1").await.unwrap();
    assert_eq!(
        parts
            .iter()
            .map(|p| (p.part, p.etag.clone().unwrap()))
            .collect::<Vec<_>>(),
        [(1, "e1b".into()), (3, "x".into())]
    );
    s.put_chunk(
        "s1",
        &ChunkRecord {
            part: 2,
            offset: 6,
            size: 2,
            piece: "c2".into(),
        },
    )
    .await
    .unwrap();
    s.put_chunk(
        "s1",
        &ChunkRecord {
            part: 2,
            offset: 0,
            size: 3,
            piece: "c3".into(),
        },
    )
    .await
    .unwrap();
    let chunks = s.chunks("s1", 2).await.unwrap();
    assert_eq!(
        chunks
            .iter()
            .map(|c| (c.offset, c.piece.as_str()))
            .collect::<Vec<_>>(),
        [(0, "c3"), (6, "c2")]
    );
    assert!(s.chunks("s1", 9).await.unwrap().is_empty());
    // Every chunk of an upload, by part (as numbers: 2 before 10) and offset; no other's.
    let chunk = |part: u32, piece: &str| ChunkRecord {
        part,
        offset: 0,
        size: 1,
        piece: piece.into(),
    };
    s.put_chunk("s1", &chunk(10, "c10")).await.unwrap();
    s.insert_session(&session("s2", 100)).await.unwrap();
    s.put_chunk("s2", &chunk(1, "other")).await.unwrap();
    assert_eq!(
        s.upload_chunks("s1")
            .await
            .unwrap()
            .iter()
            .map(|c| (c.part, c.offset, c.piece.as_str()))
            .collect::<Vec<_>>(),
        [(2, 0, "c3"), (2, 6, "c2"), (10, 0, "c10")]
    );
    s.delete_session("s2").await.unwrap();

    // Complete is once only, and takes parts and chunks with it.
    s.complete("s1", &file("h1"), &[hook(1), hook(2)], 10)
        .await
        .unwrap();
    assert_eq!(
        s.session("s1").await.unwrap().unwrap().completed.as_deref(),
        Some("h1")
    );
    assert!(s.parts("s1").await.unwrap().is_empty());
    assert!(s.chunks("s1", 2).await.unwrap().is_empty());
    assert!(s.upload_chunks("s1").await.unwrap().is_empty());
    assert!(matches!(
        s.complete("s1", &file("h2"), &[], 10).await,
        Err(StateError::SessionGone(_))
    ));
    assert!(matches!(
        s.complete("zz", &file("h2"), &[], 10).await,
        Err(StateError::SessionGone(_))
    ));
    assert_eq!(s.file("h2").await.unwrap(), None);
    let mut handles = s.handles().await.unwrap();
    handles.sort();
    assert_eq!(handles, ["h0", "h1"]);

    // Expiry.
    let direct = Session {
        direct: Some(crate::storage::DirectUpload {
            name: "h9".into(),
            upload_id: "u/9=".into(),
        }),
        ..session("s2", 200)
    };
    s.insert_session(&direct).await.unwrap();
    assert_eq!(s.session("s2").await.unwrap().as_ref(), Some(&direct));
    assert_eq!(s.expired_sessions(150, 10).await.unwrap(), ["s1"]);
    s.delete_session("s1").await.unwrap();
    assert_eq!(s.session("s1").await.unwrap(), None);
    assert!(s.expired_sessions(150, 10).await.unwrap().is_empty());

    // Files.
    assert!(s.delete_file("h0").await.unwrap());
    assert!(!s.delete_file("h0").await.unwrap());

    // The outbox: due in order, retried later, dropped on give-up, removed on delivery.
    let due = s.due_webhooks(10, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|j| j.hook.url.as_str()).collect::<Vec<_>>(),
        ["http://hook/0", "http://hook/1", "http://hook/2"]
    );
    assert_eq!(due[1].hook.event, serde_json::json!({ "n": 1 }));
    s.webhook_failed(due[0].id, 1, Some(50), "refused")
        .await
        .unwrap();
    s.webhook_failed(due[1].id, 7, None, "gave up")
        .await
        .unwrap();
    s.webhook_delivered(due[2].id).await.unwrap();
    assert!(s.due_webhooks(49, 10).await.unwrap().is_empty());
    assert_eq!(s.next_webhook_at().await.unwrap(), Some(50));
    let again = s.due_webhooks(50, 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    s.webhook_delivered(again[0].id).await.unwrap();
    assert_eq!(s.next_webhook_at().await.unwrap(), None);

    claims(s).await;
    transfers(s).await;
    held_transfers(s).await;
}

/// Claims lease jobs: a claimed job is hidden from every other claimer until its lease ends,
/// then due again (its claimer died); settling it ends the lease.
async fn claims(s: &dyn StateStore) {
    s.insert_file(&file("h7"), &[hook(7), hook(8), hook(9)], 100)
        .await
        .unwrap();
    let urls =
        |jobs: &[super::WebhookJob]| jobs.iter().map(|j| j.hook.url.clone()).collect::<Vec<_>>();
    assert!(s.claim_due_webhooks(99, 50, 10).await.unwrap().is_empty());
    let first = s.claim_due_webhooks(100, 50, 2).await.unwrap();
    assert_eq!(urls(&first), ["http://hook/7", "http://hook/8"]);
    assert!(first.iter().all(|j| j.next_at == 150 && j.attempts == 0));
    // A second claimer gets only what is left, then nothing while the leases run.
    let second = s.claim_due_webhooks(100, 50, 10).await.unwrap();
    assert_eq!(urls(&second), ["http://hook/9"]);
    assert!(s.claim_due_webhooks(120, 50, 10).await.unwrap().is_empty());
    assert!(s.due_webhooks(149, 10).await.unwrap().is_empty());
    assert_eq!(s.next_webhook_at().await.unwrap(), Some(150));
    // hook/7 is delivered and hook/9 failed (retry at 400); hook/8's claimer went silent.
    s.webhook_delivered(first[0].id).await.unwrap();
    s.webhook_failed(second[0].id, 1, Some(400), "refused")
        .await
        .unwrap();
    let reclaimed = s.claim_due_webhooks(150, 50, 10).await.unwrap();
    assert_eq!(urls(&reclaimed), ["http://hook/8"]);
    assert_eq!(reclaimed[0].id, first[1].id);
    s.webhook_delivered(reclaimed[0].id).await.unwrap();
    assert!(s.claim_due_webhooks(399, 50, 10).await.unwrap().is_empty());
    let retried = s.claim_due_webhooks(400, 50, 10).await.unwrap();
    assert_eq!(
        (urls(&retried), retried[0].attempts),
        (vec!["http://hook/9".to_owned()], 1)
    );
    s.webhook_delivered(retried[0].id).await.unwrap();
    assert_eq!(s.next_webhook_at().await.unwrap(), None);
}

/// The transfer queue: a file recorded with a transfer has a job, claimed under leases like
/// webhooks; done, the file's new record and its webhooks land together; failures are kept and
/// shown, a given-up job stays until the file goes.
async fn transfers(s: &dyn StateStore) {
    let moving = |h: &str| FileRecord {
        transfer: Some(super::Transfer {
            to: Some("archive".into()),
            client: "Computer".into(),
            held: None,
        }),
        ..file(h)
    };
    s.insert_file(&moving("t1"), &[], 100).await.unwrap();
    s.insert_session(&session("st", 10_000)).await.unwrap();
    s.complete("st", &moving("t2"), &[], 100).await.unwrap();
    s.insert_file(&file("t0"), &[], 100).await.unwrap();
    assert_eq!(s.transfer("t0").await.unwrap(), None);
    let t1 = s.transfer("t1").await.unwrap().unwrap();
    assert_eq!(
        (t1.to.as_deref(), t1.attempts, t1.next_at, t1.failed),
        (Some("archive"), 0, 100, false)
    );
    let handles =
        |jobs: &[super::TransferJob]| jobs.iter().map(|j| j.handle.clone()).collect::<Vec<_>>();
    assert!(
        s.claim_due_transfers(99, 50, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
    let first = s.claim_due_transfers(100, 50, 1, None).await.unwrap();
    assert_eq!(handles(&first), ["t1"]);
    assert_eq!(first[0].next_at, 150);
    assert_eq!(
        handles(&s.claim_due_transfers(100, 50, 10, None).await.unwrap()),
        ["t2"]
    );
    assert!(
        s.claim_due_transfers(120, 50, 10, None)
            .await
            .unwrap()
            .is_empty()
    );

    // t2 fails once; t1 is done: moved, its webhook queued with it.
    s.transfer_failed("t2", 1, Some(400), "refused")
        .await
        .unwrap();
    assert_eq!(
        s.transfer("t2")
            .await
            .unwrap()
            .unwrap()
            .last_error
            .as_deref(),
        Some("refused")
    );
    let moved = FileRecord {
        location: "archive".into(),
        transfer: None,
        ..moving("t1")
    };
    s.transfer_done(&moved, &[hook(20)], 160).await.unwrap();
    assert_eq!(s.file("t1").await.unwrap(), Some(moved));
    assert_eq!(s.transfer("t1").await.unwrap(), None);
    let due = s.due_webhooks(160, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|j| j.hook.url.as_str()).collect::<Vec<_>>(),
        ["http://hook/20"]
    );
    s.webhook_delivered(due[0].id).await.unwrap();

    // t2 again after its back-off, then given up: kept and shown, never claimed again.
    assert!(
        s.claim_due_transfers(399, 50, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
    let retried = s.claim_due_transfers(400, 50, 10, None).await.unwrap();
    assert_eq!(
        (handles(&retried), retried[0].attempts),
        (vec!["t2".to_owned()], 1)
    );
    s.transfer_failed("t2", 2, None, "gave up").await.unwrap();
    let given_up = s.transfer("t2").await.unwrap().unwrap();
    assert!(given_up.failed && given_up.last_error.as_deref() == Some("gave up"));
    assert!(
        s.claim_due_transfers(100_000, 50, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
    let counts = s.queue_counts().await.unwrap();
    assert_eq!((counts.transfers_pending, counts.transfers_failed), (0, 1));
    assert!(counts.webhooks_failed >= 1, "{counts:?}");
    // Retried by hand once the cause is mended: due now, its attempts counted afresh.
    assert_eq!(s.retry_failed_transfers(100_000).await.unwrap(), 1);
    assert_eq!(s.retry_failed_transfers(100_000).await.unwrap(), 0);
    let again = s.claim_due_transfers(100_000, 50, 10, None).await.unwrap();
    assert_eq!(
        (handles(&again), again[0].attempts, again[0].failed),
        (vec!["t2".to_owned()], 0, false)
    );
    assert_eq!(s.queue_counts().await.unwrap().transfers_pending, 1);
    assert!(s.delete_file("t2").await.unwrap());
    assert_eq!(s.transfer("t2").await.unwrap(), None);

    // A file deleted while on its way stays deleted, and sends no event.
    s.insert_file(&moving("t3"), &[], 500).await.unwrap();
    assert!(s.delete_file("t3").await.unwrap());
    s.transfer_done(&file("t3"), &[hook(21)], 600)
        .await
        .unwrap();
    assert_eq!(s.file("t3").await.unwrap(), None);
    assert!(s.due_webhooks(600, 10).await.unwrap().is_empty());
    assert!(s.delete_file("t0").await.unwrap());
    assert!(s.delete_file("t1").await.unwrap());
}

/// Transfers of files held at an edge: claimed only by that edge's region; those without a
/// holder by anyone. A job going to the app's own storage has no location name.
async fn held_transfers(s: &dyn StateStore) {
    let held = |h: &str, region: &str| FileRecord {
        transfer: Some(super::Transfer {
            to: None,
            client: "Computer".into(),
            held: Some(super::Held {
                region: region.into(),
                url: format!("https://{region}.example"),
            }),
        }),
        ..file(h)
    };
    s.insert_file(&held("e1", "eu"), &[], 1000).await.unwrap();
    s.insert_file(&held("e2", "us"), &[], 1000).await.unwrap();
    let job = s.transfer("e1").await.unwrap().unwrap();
    assert_eq!((job.to, job.holder.as_deref()), (None, Some("eu")));
    assert!(
        s.claim_due_transfers(1000, 50, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
    let eu = s
        .claim_due_transfers(1000, 50, 10, Some("eu"))
        .await
        .unwrap();
    assert_eq!(
        eu.iter().map(|j| j.handle.as_str()).collect::<Vec<_>>(),
        ["e1"]
    );
    let us = s
        .claim_due_transfers(1000, 50, 10, Some("us"))
        .await
        .unwrap();
    assert_eq!(
        us.iter().map(|j| j.handle.as_str()).collect::<Vec<_>>(),
        ["e2"]
    );
    assert_eq!(s.file("e1").await.unwrap(), Some(held("e1", "eu")));
    assert!(s.delete_file("e1").await.unwrap());
    assert!(s.delete_file("e2").await.unwrap());
}
