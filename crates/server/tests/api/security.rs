//! Policies and signatures (docs/protocol.md §9) on every call that needs them.

use crate::harness::*;
use axum::http::Method;
use base64::Engine as _;
use serde_json::{Value, json};
use skiff_protocol::policy::sign;

fn policy(json: Value, url_safe: bool) -> (String, String) {
    let engine = if url_safe {
        base64::engine::general_purpose::URL_SAFE
    } else {
        base64::engine::general_purpose::STANDARD
    };
    let p = engine.encode(json.to_string());
    let s = sign(SECRET, &p);
    (p, s)
}

fn valid() -> Value {
    json!({ "expiry": NOW_MS / 1000 + 3600, "call": ["pick", "store", "read", "stat", "remove"] })
}

#[tokio::test]
async fn uploads_need_a_valid_policy_on_start_and_complete_only() {
    let h = Harness::new();
    let data = random_bytes(50, 9);
    // Python style: URL-safe policy on start and complete, nothing on upload/commit.
    let (p, s) = policy(valid(), true);
    let sec = json!({ "policy": p, "signature": s });
    let start = h.start(SECURE, data.len(), sec.clone()).await;
    let etag = h.send(SECURE, &start, 1, &data, None).await;
    let mut extra = json!({ "parts": [{ "part_number": 1, "etag": etag }] });
    h.complete(SECURE, &start, data.len(), extra.clone())
        .await
        .refused(403, "security_required");
    merge(&mut extra, sec);
    let done = h.complete(SECURE, &start, data.len(), extra).await;
    let handle = done.ok().json()["handle"].as_str().unwrap().to_owned();

    // The file API needs it too: metadata (stat), download (read), delete (remove).
    h.get(&format!("/api/file/{handle}/metadata"))
        .await
        .refused(403, "security_required");
    h.get(&format!("/{handle}"))
        .await
        .refused(403, "security_required");
    let (jp, js) = policy(valid(), false); // JS style: standard alphabet
    let q = format!("policy={}&signature={js}", urlencode(&jp));
    h.get(&format!("/api/file/{handle}/metadata?{q}"))
        .await
        .ok();
    assert_eq!(
        h.get(&format!("/{handle}?{q}")).await.ok().body.to_vec(),
        data
    );
    let del = h
        .request(
            Method::DELETE,
            &format!("/api/file/{handle}?key={SECURE}&{q}"),
            &[],
            "",
        )
        .await;
    del.ok();
    h.get(&format!("/api/file/{handle}/metadata?{q}"))
        .await
        .refused(404, "file_not_found");
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn bad_policies_are_named() {
    let h = Harness::new();
    let start_with = |sec: Value| {
        let body = json!({ "apikey": SECURE, "filename": "a", "size": 100, "store": { "location": "s3", "path": "up/a.bin" } });
        let mut b = body;
        merge(&mut b, sec);
        h.post("/multipart/start", b)
    };
    let (p, s) = policy(valid(), true);
    start_with(json!({ "policy": p, "signature": "00".repeat(32) }))
        .await
        .refused(403, "invalid_signature");
    start_with(json!({ "policy": p, "signature": "xyz" }))
        .await
        .refused(403, "invalid_signature");
    start_with(json!({ "policy": p }))
        .await
        .refused(403, "security_required");
    start_with(json!({ "policy": format!("{p}x"), "signature": s }))
        .await
        .refused(403, "invalid_signature");
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "expiry": NOW_MS / 1000 - 1 }), "policy_expired"),
        (
            json!({ "expiry": NOW_MS / 1000 + 60, "call": ["read"] }),
            "policy_denied",
        ),
        (
            json!({ "expiry": NOW_MS / 1000 + 60, "maxSize": 99 }),
            "policy_denied",
        ),
        (
            json!({ "expiry": NOW_MS / 1000 + 60, "minSize": 101 }),
            "policy_denied",
        ),
        (
            json!({ "expiry": NOW_MS / 1000 + 60, "path": "other/.*" }),
            "policy_denied",
        ),
        (
            json!({ "expiry": NOW_MS / 1000 + 60, "container": "private-.*" }),
            "policy_denied",
        ),
        (json!({ "expiry": "tomorrow" }), "invalid_policy"),
    ];
    for (pol, code) in cases {
        let (p, s) = policy(pol.clone(), false);
        let r = start_with(json!({ "policy": p, "signature": s })).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (403, code.to_owned()),
            "{pol}"
        );
    }
    let ok = json!({ "expiry": NOW_MS / 1000 + 60, "call": "store", "maxSize": 100, "path": "up/.*", "container": "skiff" });
    let (p, s) = policy(ok, false);
    start_with(json!({ "policy": p, "signature": s }))
        .await
        .ok();

    // A policy for one handle does not open another.
    let (p, s) = policy(
        json!({ "expiry": NOW_MS / 1000 + 60, "handle": "AAAAAAAAAAAAAAAAAAAA" }),
        false,
    );
    let data = random_bytes(5, 1);
    let (vp, vs) = policy(valid(), false);
    let start = h
        .start(SECURE, 5, json!({ "policy": vp, "signature": vs }))
        .await;
    let e = h.send(SECURE, &start, 1, &data, None).await;
    let done = h
        .complete(
            SECURE,
            &start,
            5,
            json!({ "policy": vp, "signature": vs, "parts": [{ "part_number": 1, "etag": e }] }),
        )
        .await;
    let handle = done.ok().json()["handle"].as_str().unwrap().to_owned();
    h.get(&format!(
        "/api/file/{handle}/metadata?policy={}&signature={s}",
        urlencode(&p)
    ))
    .await
    .refused(403, "policy_denied");
}

#[tokio::test]
async fn basic_auth_with_the_app_secret_works_for_the_file_api() {
    let h = Harness::new();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("app:{SECRET}"))
    );
    let r = h
        .request(
            Method::POST,
            &format!("/api/store/S3?key={SECURE}&filename=b.txt"),
            &[("authorization", &auth), ("content-type", "text/plain")],
            "basic",
        )
        .await;
    let handle = r.ok().json()["handle"].as_str().unwrap().to_owned();
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("app:nope")
    );
    h.request(
        Method::GET,
        &format!("/{handle}"),
        &[("authorization", &wrong)],
        "",
    )
    .await
    .refused(403, "security_required");
    let got = h
        .request(
            Method::GET,
            &format!("/{handle}"),
            &[("authorization", &auth)],
            "",
        )
        .await;
    assert_eq!(got.ok().body.as_ref(), b"basic");
}
