//! The `postgres` state against a real PostgreSQL, which each test starts in a temporary folder
//! and removes after: the shared conformance suite, instances claiming the same work at once,
//! migrations run twice and side by side, start-up errors, and a restart of the database in the
//! middle of use. Each test says so and passes when PostgreSQL's server programs are absent.
//!
//! Run: `cargo test -p skiff-server --test postgres`.

#![allow(unreachable_pub)] // a test binary: `pub` only shares helpers between its modules

mod cluster;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cluster::{Cluster, PASSWORD, free_port};
use skiff_server::clock::ManualClock;
use skiff_server::config::{AppConfig, Config, Secret, StateConfig};
use skiff_server::state::conformance::{file, hook, session};
use skiff_server::state::{PostgresState, StateError, StateStore};
use skiff_server::storage::MemoryStorage;
use skiff_server::{AppState, app};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// One server for the checks that do not stop it, each in a schema of its own. They connect over
/// the Unix socket, where each new connection costs milliseconds rather than the tenth of a
/// second the password exchange takes in a debug build; the start-up errors use TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_database() {
    let Some(pg) = Cluster::start("shared_database") else {
        return;
    };
    let t = Instant::now();
    conformance(&pg).await;
    migrations_twice_and_at_once(&pg).await;
    claims_are_disjoint(&pg).await;
    transfers_are_disjoint(&pg).await;
    sweeps_are_disjoint(&pg).await;
    startup_errors_name_the_key(&pg).await;
    println!("checks took {:?} after the server started", t.elapsed());
}

async fn conformance(pg: &Cluster) {
    let store = PostgresState::connect(&pg.local_schema("conformance"))
        .await
        .unwrap();
    skiff_server::state::conformance::run(&store).await;
    // The Cloud API's store lives in the same database, and passes its own suite; what one
    // instance wrote, another reads.
    let url = pg.local_schema("cloud");
    let cloud = PostgresState::connect(&url).await.unwrap();
    skiff_server::cloud::store::conformance::run(&cloud).await;
    let other = PostgresState::connect(&url).await.unwrap();
    skiff_server::cloud::store::conformance::survives_reopen(&cloud, &other).await;
    // What was written is there for a second store on the same database (another instance).
    let url = pg.local_schema("seeded");
    let other = PostgresState::connect(&url).await.unwrap();
    skiff_server::state::conformance::seed(&other).await;
    let again = PostgresState::connect(&url).await.unwrap();
    skiff_server::state::conformance::check_seeded(&again).await;
}

async fn migrations_twice_and_at_once(pg: &Cluster) {
    let url = pg.local_schema("migrations");
    // Two instances starting together on an empty database: both come up, the schema once.
    let (a, b) = tokio::join!(PostgresState::connect(&url), PostgresState::connect(&url));
    let (a, b) = (a.unwrap(), b.unwrap());
    a.insert_file(&file("kept"), &[hook(1)], 5).await.unwrap();
    assert_eq!(
        a.migrate().await.unwrap(),
        0,
        "a second run applies nothing"
    );
    assert_eq!(b.migrate().await.unwrap(), 0);
    let c = PostgresState::connect(&url).await.unwrap();
    assert_eq!(c.file("kept").await.unwrap(), Some(file("kept")));
    // All three sign part URLs with one key: the first instance's, kept in the database.
    let key = a.part_url_key().expect("a key shared through the database");
    assert!(key.len() >= 32);
    assert_eq!(b.part_url_key(), Some(key));
    assert_eq!(c.part_url_key(), Some(key));
    assert_eq!(c.due_webhooks(5, 10).await.unwrap().len(), 1);
}

/// Two instances claiming one outbox at once, in small batches, until it is empty: every job
/// goes to exactly one of them.
async fn claims_are_disjoint(pg: &Cluster) {
    let url = pg.local_schema("claims");
    let a = PostgresState::connect(&url).await.unwrap();
    let b = PostgresState::connect(&url).await.unwrap();
    let hooks: Vec<_> = (0..200).map(hook).collect();
    a.insert_file(&file("h"), &hooks, 0).await.unwrap();
    let drain = |s: PostgresState| async move {
        let mut ids = Vec::new();
        loop {
            let jobs = s.claim_due_webhooks(10, 60_000, 5).await.unwrap();
            if jobs.is_empty() {
                return ids;
            }
            ids.extend(jobs.into_iter().map(|j| j.id));
        }
    };
    // Two claimers per instance, on separate tasks, so their statements really overlap.
    let runs: Vec<_> = [a.clone(), a, b.clone(), b]
        .into_iter()
        .map(|s| tokio::spawn(drain(s)))
        .collect();
    let mut per_claimer = Vec::new();
    for run in runs {
        per_claimer.push(run.await.unwrap());
    }
    let all: Vec<i64> = per_claimer.iter().flatten().copied().collect();
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!((all.len(), distinct.len()), (200, 200), "{per_claimer:?}");
    assert!(
        per_claimer.iter().filter(|c| !c.is_empty()).count() > 1,
        "the claimers should have shared the work: {per_claimer:?}"
    );
}

/// Transfers, like webhooks: four claimers on two instances take 100 queued transfers, each
/// exactly once.
async fn transfers_are_disjoint(pg: &Cluster) {
    use skiff_server::state::{FileRecord, Transfer};
    let url = pg.local_schema("transfers");
    let a = PostgresState::connect(&url).await.unwrap();
    let b = PostgresState::connect(&url).await.unwrap();
    for i in 0..100 {
        let moving = FileRecord {
            transfer: Some(Transfer {
                to: Some("archive".into()),
                client: "Computer".into(),
                held: None,
            }),
            ..file(&format!("t{i}"))
        };
        a.insert_file(&moving, &[], 0).await.unwrap();
    }
    let drain = |s: PostgresState| async move {
        let mut handles = Vec::new();
        loop {
            let jobs = s.claim_due_transfers(10, 60_000, 3, None).await.unwrap();
            if jobs.is_empty() {
                return handles;
            }
            handles.extend(jobs.into_iter().map(|j| j.handle));
        }
    };
    let runs: Vec<_> = [a.clone(), a, b.clone(), b]
        .into_iter()
        .map(|s| tokio::spawn(drain(s)))
        .collect();
    let mut all = Vec::new();
    for run in runs {
        all.extend(run.await.unwrap());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (100, 100));
}

/// Two instances sweeping at once get disjoint sets of the expired sessions; one that a sweep
/// took but never removed (it died) is handed out again after the lease.
async fn sweeps_are_disjoint(pg: &Cluster) {
    let url = pg.local_schema("sweeps");
    let a = PostgresState::connect(&url).await.unwrap();
    let b = PostgresState::connect(&url).await.unwrap();
    for i in 0..60 {
        a.insert_session(&session(&format!("s{i}"), 100))
            .await
            .unwrap();
    }
    a.insert_session(&session("young", 10_000)).await.unwrap();
    let drain = |s: PostgresState| async move {
        let mut ids = Vec::new();
        loop {
            let batch = s.expired_sessions(1_000, 7).await.unwrap();
            if batch.is_empty() {
                return ids;
            }
            ids.extend(batch);
        }
    };
    let (x, y) = tokio::join!(tokio::spawn(drain(a.clone())), tokio::spawn(drain(b)));
    let (x, y) = (x.unwrap(), y.unwrap());
    let all: HashSet<&String> = x.iter().chain(&y).collect();
    assert_eq!((x.len() + y.len(), all.len()), (60, 60), "{x:?} {y:?}");
    assert!(!all.contains(&"young".to_owned()));
    // An hour later every lease has run out: the 60 are swept again, with the young one now.
    assert_eq!(a.expired_sessions(3_600_000, 100).await.unwrap().len(), 61);
}

async fn startup_errors_name_the_key(pg: &Cluster) {
    let wrong = "not-the-password-42";
    let cases = [
        (pg.url("postgres", wrong), "password authentication failed"),
        (pg.url("missing_db", PASSWORD), "does not exist"),
        (
            format!("postgres://postgres:{wrong}@127.0.0.1:{}/x", free_port()),
            "cannot connect",
        ),
        (
            format!("postgres://postgres:{wrong}@127.0.0.1:port/x"),
            "not a PostgreSQL connection URL",
        ),
    ];
    for (url, cause) in cases {
        let err = PostgresState::connect(&url).await.unwrap_err().to_string();
        assert!(
            err.starts_with("[state] url") && err.contains(cause),
            "{url}: {err}"
        );
        assert!(!err.contains(wrong) && !err.contains(PASSWORD), "{err}");
    }
    // The server's own start: the same message, before it serves anything.
    let data = tempfile::tempdir().unwrap();
    let config = Config {
        data: data.path().to_owned(),
        state: StateConfig {
            kind: "postgres".into(),
            path: None,
            url: Some(Secret(pg.url("postgres", wrong))),
        },
        apps: vec![app_config()],
        ..Config::default()
    };
    config.validate().unwrap();
    let err = AppState::open(config.clone()).unwrap_err().to_string();
    assert!(
        err.starts_with("[state] url (postgres://postgres@127.0.0.1:")
            && err.contains("password authentication failed")
            && !err.contains(wrong),
        "{err}"
    );
    // With an OAuth provider, the instances must share the key that seals its tokens.
    let with_dropbox: Config = toml::from_str(&format!(
        "[state]\nkind = \"postgres\"\nurl = \"{}\"\n[sources.dropbox]\nclient_id = \"c\"\nclient_secret = \"s\"\n",
        pg.url("postgres", PASSWORD)
    ))
    .unwrap();
    let config = Config {
        data: data.path().to_owned(),
        apps: vec![app_config()],
        ..with_dropbox
    };
    let err = AppState::open(config).unwrap_err().to_string();
    assert!(err.contains("[cloud] vault_key is needed"), "{err}");
}

fn app_config() -> AppConfig {
    AppConfig {
        key: "app".into(),
        secret: None,
        webhook_url: None,
        webhook_secret: None,
        sources: None,
        allowed_origins: Vec::new(),
        storage: None,
    }
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, Option<String>, String) {
    let resp = router
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        retry_after,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// PostgreSQL restarts while a server uses it: meanwhile calls fail as unavailable and
/// requests get a 503 to retry; afterwards the pool reconnects and everything works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_a_database_restart() {
    let Some(pg) = Cluster::start("survives_a_database_restart") else {
        return;
    };
    let store = PostgresState::connect(&pg.schema("restart")).await.unwrap();
    let state = AppState::new(
        Config {
            apps: vec![app_config()],
            ..Config::default()
        },
        Arc::new(MemoryStorage::new()),
        Arc::new(store.clone()),
        Arc::new(ManualClock::at(1_000)),
        b"test-key".to_vec(),
    );
    let router = app(state);
    store.insert_file(&file("before"), &[], 1).await.unwrap();
    // Several calls at once, so that the pool holds several connections the restart will cut.
    let warm = (0..4).map(|_| store.file("before"));
    for found in futures_util::future::join_all(warm).await {
        assert!(found.unwrap().is_some());
    }
    let metadata = "/api/file/before/metadata";
    assert_eq!(get(&router, metadata).await.0, StatusCode::OK);

    let t = Instant::now();
    pg.stop();
    for _ in 0..3 {
        assert!(
            matches!(
                store.file("before").await,
                Err(StateError::Unavailable { .. })
            ),
            "while PostgreSQL is down"
        );
        let (status, retry_after, body) = get(&router, metadata).await;
        assert_eq!(
            (status, retry_after.as_deref()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("2")),
            "{body}"
        );
        assert!(body.contains("\"state_unavailable\""), "{body}");
        assert!(!body.contains(PASSWORD), "{body}");
    }

    pg.restart();
    // As a client would: retry the 503 until the server reconnects (at once, in practice).
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut tries = 1;
    loop {
        let (status, _, body) = get(&router, metadata).await;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(Instant::now() < deadline, "not back 5 s after the restart");
        tries += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    store.insert_file(&file("after"), &[], 2).await.unwrap();
    assert_eq!(store.file("after").await.unwrap(), Some(file("after")));
    println!(
        "down and back in {:?}; {tries} request(s) after the restart",
        t.elapsed()
    );
}
