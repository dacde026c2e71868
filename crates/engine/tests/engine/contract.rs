//! The wire contract: every request the engine sends goes to one of the protocol's routes (the
//! one for its kind), and its body parses as the request type skiff-server reads for that route,
//! with the fields the server requires and nothing the type does not know.
//!
//! The simulator runs [`check`] on every request of every scenario; the scenarios here make sure
//! every kind of request, first tries and retries, regular and intelligent, goes through it.

use crate::sim::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use skiff_engine::{Body, Event, FileSpec, Mode, Options, Request, RequestKind};
use skiff_protocol::routes;
use skiff_protocol::wire::{
    CommitRequest, CompleteRequest, ResumeRequest, SessionRef, StartRequest, UploadRequest,
};
use std::collections::HashSet;

/// The upload API the simulator's files name, and the host its start answer sends later calls to.
const API: &str = "https://up.test";
const LOCATION: &str = "https://loc.test";

/// Checks one request against the contract.
pub fn check(req: &Request) -> Result<(), String> {
    let (route, host, method) = match req.kind {
        RequestKind::Start => (routes::MULTIPART_START, API, "POST"),
        RequestKind::Upload { .. } => (routes::MULTIPART_UPLOAD, LOCATION, "POST"),
        RequestKind::Put { .. } => (routes::MULTIPART_PART, LOCATION, "PUT"),
        RequestKind::Commit { .. } => (routes::MULTIPART_COMMIT, LOCATION, "POST"),
        RequestKind::Complete => (routes::MULTIPART_COMPLETE, LOCATION, "POST"),
        RequestKind::Rejoin => (routes::MULTIPART_RESUME, LOCATION, "POST"),
    };
    let rest = req
        .url
        .strip_prefix(host)
        .ok_or_else(|| format!("{} does not go to {host}", req.url))?;
    let path = rest.split('?').next().unwrap_or_default();
    if !routes::ALL.iter().any(|r| routes::matches(r, path)) {
        return Err(format!("{path} is not one of the protocol's routes"));
    }
    if !routes::matches(route, path) {
        return Err(format!("the {} goes to {path}, not {route}", req.kind));
    }
    if req.method != method {
        return Err(format!(
            "the {} is a {}, not a {method}",
            req.kind, req.method
        ));
    }
    match (&req.body, req.kind) {
        (Body::Slice { start, end, .. }, RequestKind::Put { .. }) if start < end => Ok(()),
        (
            Body::Json {
                value,
                md5_of,
                md5_later,
            },
            kind,
        ) if !matches!(kind, RequestKind::Put { .. }) => {
            // Only a call that carries an MD5 may let it come later.
            require("an MD5 range for md5_later", !md5_later || md5_of.is_some())?;
            check_body(kind, value, *md5_of)
        }
        (body, kind) => Err(format!("the {kind} carries {body:?}")),
    }
}

fn check_body(kind: RequestKind, value: &Value, md5_of: Option<(u64, u64)>) -> Result<(), String> {
    match kind {
        RequestKind::Start => {
            let r: StartRequest = parse(value)?;
            let location = r.store.as_ref().and_then(|s| s.location.as_ref());
            require("apikey", r.apikey.is_some())?;
            require("filename", r.filename.is_some())?;
            require("mimetype", r.mimetype.is_some())?;
            require("size", r.size.is_some())?;
            require("store.location", location.is_some())
        }
        RequestKind::Upload { part, offset } => {
            // The driver adds the base64 MD5 of `md5_of` last; a stand-in makes the body whole.
            let mut value = value.clone();
            if md5_of.is_some() {
                value["md5"] = json!("c3RhbmQtaW4=");
            }
            let r: UploadRequest = parse(&value)?;
            session(&r.session)?;
            same("part", r.part, Some(part.into()))?;
            require("size", r.size.is_some_and(|s| s > 0))?;
            if let Some((a, b)) = md5_of {
                same("size", r.size, Some(b - a))?;
            }
            // A chunk call (fii) names its offset within the part; a whole part names none.
            same("offset", r.offset, r.fii.then_some(offset))?;
            require("fii for a chunk past 0", r.fii || offset == 0)
        }
        RequestKind::Commit { part } => {
            let r: CommitRequest = parse(value)?;
            session(&r.session)?;
            same("part", r.part, Some(part.into()))?;
            require("size", r.size.is_some())
        }
        RequestKind::Complete => {
            let r: CompleteRequest = parse(value)?;
            session(&r.session)?;
            require("filename", r.filename.is_some())?;
            require("mimetype", r.mimetype.is_some())?;
            require("size", r.size.is_some())?;
            // Parts travel only when there are some; a file with bytes has some, or was sent
            // chunk-wise (fii), or went ahead of its parts without integrity checks
            // (`await_parts`: the server takes what adds up to the file).
            let parts = r.parts.as_ref().map_or(0, Vec::len);
            require("parts", r.parts.is_none() || parts > 0)?;
            require(
                "parts or fii",
                parts > 0 || r.fii || r.size == Some(0) || r.await_parts,
            )
        }
        RequestKind::Rejoin => session(&parse::<ResumeRequest>(value)?.session),
        RequestKind::Put { .. } => Err("a PUT carries JSON".into()),
    }
}

/// Reads `value` as the server does, and checks that it says nothing the type does not know:
/// written back, it is `value` again (a misspelt key would be dropped and show here).
fn parse<T: DeserializeOwned + Serialize>(value: &Value) -> Result<T, String> {
    let parsed: T = serde_json::from_value(value.clone())
        .map_err(|e| format!("the body does not parse: {e}\n{value}"))?;
    let back = serde_json::to_value(&parsed).map_err(|e| e.to_string())?;
    if &back != value {
        return Err(format!(
            "the body says more than its type, or says it otherwise:\nsent {value}\nread {back}"
        ));
    }
    Ok(parsed)
}

fn session(s: &SessionRef) -> Result<(), String> {
    require("apikey", s.apikey.is_some())?;
    require("uri", s.uri.is_some())?;
    require("region", s.region.is_some())?;
    require("upload_id", s.upload_id.is_some())
}

fn require(field: &str, ok: bool) -> Result<(), String> {
    ok.then_some(())
        .ok_or_else(|| format!("`{field}` is missing or empty"))
}

fn same(field: &str, got: Option<u64>, want: Option<u64>) -> Result<(), String> {
    (got == want)
        .then_some(())
        .ok_or_else(|| format!("`{field}` is {got:?}, expected {want:?}"))
}

/// Everything a body can carry: policy and signature, alt text (tags come with every sim file).
fn secured(spec: &mut FileSpec) {
    spec.security = Some(("eyJleHBpcnkiOjF9".into(), "5e11".into()));
    spec.alt = Some("a test file".into());
}

/// Fails the first try of each request kind `fail` names, with what it returns.
fn first_tries_fail(sim: &mut Sim, fail: impl Fn(RequestKind) -> Option<Action> + 'static) {
    let mut tried = HashSet::new();
    sim.script(move |req, _| match fail(req.kind) {
        Some(action) if tried.insert(req.kind) => action,
        _ => Action::Serve,
    });
}

/// The file arrived whole, every request passed the contract, every kind went out, and the
/// kinds in `retried` went out more than once.
fn assert_kept(sim: &Sim, file: skiff_engine::FileId, retried: &[RequestKind]) {
    assert_eq!(sim.stored_of(file), sim.file_of(file));
    for req in &sim.sent {
        check(req).unwrap();
    }
    let kinds = sim.kinds();
    for want in retried {
        let n = kinds.iter().filter(|k| *k == want).count();
        assert!(n > 1, "{want} was not retried: {kinds:?}");
    }
    let retries = sim
        .events
        .iter()
        .filter(|e| matches!(e, Event::Retrying { .. }))
        .count();
    assert!(retries >= retried.len(), "{retries} retries");
}

#[test]
fn a_regular_upload_with_retries_keeps_to_the_contract() {
    let mut sim = Sim::new(Options::default());
    first_tries_fail(&mut sim, |kind| match kind {
        RequestKind::Start => Some(Action::Status(503, "busy")),
        RequestKind::Upload { part: 2, .. } => Some(Action::Network),
        RequestKind::Put { part: 1, .. } => Some(Action::Status(
            500,
            r#"{"error":{"code":"internal","message":"disk full"}}"#,
        )),
        RequestKind::Complete => Some(Action::Status(502, "Bad Gateway")),
        _ => None,
    });
    sim.complete_202s = 1;
    let f = sim.add_with(12 * MIB + 5, secured);
    sim.run(3_600_000);
    let put = RequestKind::Put { part: 1, offset: 0 };
    let upload = RequestKind::Upload { part: 2, offset: 0 };
    assert_kept(
        &sim,
        f,
        &[RequestKind::Start, upload, put, RequestKind::Complete],
    );
    let complete = sim.body_of(RequestKind::Complete);
    assert_eq!(complete["parts"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        (&complete["alt"], &complete["policy"]),
        (&json!("a test file"), &json!("eyJleHBpcnkiOjF9"))
    );
}

#[test]
fn an_intelligent_upload_with_retries_keeps_to_the_contract() {
    // One part at a time, so the shrunk chunk size holds for the failed part's re-sends and
    // chunk calls at offsets past 0 go out too.
    let mut sim = Sim::new(Options {
        mode: Mode::Intelligent,
        concurrency: 1,
        ..Options::default()
    });
    first_tries_fail(&mut sim, |kind| match kind {
        RequestKind::Start => Some(Action::Network),
        RequestKind::Upload { part: 3, offset: 0 } => Some(Action::Unreadable),
        RequestKind::Put { part: 1, offset: 0 } => Some(Action::Network),
        RequestKind::Commit { part: 2 } => Some(Action::Status(500, "")),
        RequestKind::Complete => Some(Action::Status(429, r#"{"message":"slow down"}"#)),
        _ => None,
    });
    let f = sim.add_with(20 * MIB + 3, secured);
    sim.run(3_600_000);
    assert_kept(
        &sim,
        f,
        &[
            RequestKind::Start,
            RequestKind::Upload { part: 3, offset: 0 },
            RequestKind::Put { part: 1, offset: 0 },
            RequestKind::Commit { part: 2 },
            RequestKind::Complete,
        ],
    );
    let chunk_calls = sim
        .sent
        .iter()
        .filter(|r| matches!(r.kind, RequestKind::Upload { offset, .. } if offset > 0))
        .count();
    assert!(
        chunk_calls > 0,
        "the failed chunk was re-sent in smaller chunks: {:?}",
        sim.put_lengths()
    );
}

#[test]
fn a_fallback_upload_switching_to_chunks_keeps_to_the_contract() {
    let mut sim = Sim::new(Options {
        mode: Mode::Fallback,
        concurrency: 1,
        ..Options::default()
    });
    first_tries_fail(&mut sim, |kind| match kind {
        RequestKind::Put { part: 1, offset: 0 } => Some(Action::Network),
        _ => None,
    });
    let f = sim.add_with(12 * MIB, secured);
    sim.run(3_600_000);
    assert_kept(&sim, f, &[RequestKind::Put { part: 1, offset: 0 }]);
    assert!(
        sim.events
            .iter()
            .any(|e| matches!(e, Event::SwitchedToIntelligent { .. }))
    );
    assert!(sim.kinds().contains(&RequestKind::Commit { part: 1 }));
}

#[test]
fn the_check_catches_a_body_off_the_contract() {
    let mut sim = Sim::new(Options::default());
    sim.add(1);
    let mut req = sim.sent[0].clone();
    check(&req).unwrap();
    let Body::Json { value, .. } = &mut req.body else {
        panic!("start carries JSON")
    };
    value["fillename"] = json!("typo");
    assert!(check(&req).unwrap_err().contains("says more than its type"));
    req.url = format!("{API}/api/multipart/start");
    assert!(
        check(&req)
            .unwrap_err()
            .contains("not one of the protocol's routes")
    );
}
