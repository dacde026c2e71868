//! The S3 backend against a real SeaweedFS (one bucket per test, see `storage::seaweed`), and
//! against stand-ins for an S3 that is down.

use super::requests::{self, copied_etag, status_in};
use super::*;
use crate::config::Secret;
use crate::storage::PresignedPart;
use crate::storage::conformance::{self, body};
use crate::storage::seaweed;
use object_store::multipart::MultipartStore as _;
use object_store::signer::Method;
use std::time::Duration;

fn settings(bucket: &seaweed::Bucket, prefix: Option<&str>) -> S3StorageSettings {
    S3StorageSettings {
        endpoint: Some(bucket.endpoint.clone()),
        region: seaweed::REGION.into(),
        bucket: bucket.name.clone(),
        prefix: prefix.map(str::to_owned),
        access_key_id: seaweed::ACCESS_KEY.into(),
        secret_access_key: Secret(seaweed::SECRET_KEY.into()),
        path_style: true,
    }
}

/// The multipart uploads open in the storage's bucket (ListMultipartUploads, which
/// `object_store` does not offer: a GET of the bucket with `?uploads`, signed by it).
async fn open_uploads(storage: &S3Storage) -> usize {
    let url = storage
        .presign(
            Method::GET,
            &Key::default(),
            &[("uploads", String::new())],
            None,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let resp = reqwest::get(url).await.unwrap();
    assert!(resp.status().is_success(), "{resp:?}");
    let listing = resp.text().await.unwrap();
    assert!(listing.contains("ListMultipartUploadsResult"), "{listing}");
    listing.matches("<UploadId>").count()
}

/// A bucket of its own for one test and the storage over it (under `prefix`), or `None` when
/// SeaweedFS is not installed.
async fn storage_in(bucket: &str, prefix: Option<&str>) -> Option<(seaweed::Bucket, S3Storage)> {
    let bucket = seaweed::bucket(bucket).await?;
    let storage = S3Storage::open(&settings(&bucket, prefix)).await.unwrap();
    Some((bucket, storage))
}

async fn read(storage: &S3Storage, name: &str, range: Option<Range<u64>>) -> Vec<u8> {
    let body = storage.get(name, range).await.unwrap();
    body.try_fold(Vec::new(), |mut all, chunk| async move {
        all.extend_from_slice(&chunk);
        Ok(all)
    })
    .await
    .unwrap()
}

/// Bytes that differ from one offset to the next, so a misplaced part shows.
fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    let mut out = Vec::with_capacity(len + 4);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A body in chunks of 64 KiB, as large bodies come from the network.
fn big_body(data: &[u8]) -> ByteStream {
    let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = data
        .chunks(64 << 10)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

async fn stage(storage: &S3Storage, upload: &str, bytes: &[u8]) -> Piece {
    let w = storage
        .stage(upload, big_body(bytes), Expect::AtMost(1 << 30))
        .await
        .unwrap();
    Piece {
        id: w.id,
        size: w.size,
    }
}

#[tokio::test]
async fn a_real_bucket_passes_the_storage_conformance_suite() {
    let Some((bucket, storage)) = storage_in("conformance", Some("/skiff/")).await else {
        return;
    };
    // Keys outside the prefix, and deeper than an object, are not the storage's objects.
    let raw = S3Storage::open(&settings(&bucket, None)).await.unwrap();
    for key in ["outside", "skiff/objects/deep/er"] {
        raw.store
            .put(&Key::parse(key).unwrap(), b"no".to_vec().into())
            .await
            .unwrap();
    }
    conformance::run(&storage).await;
    let staged: Vec<_> = raw
        .store
        .list(Some(&Key::parse("skiff/staging").unwrap()))
        .try_collect()
        .await
        .unwrap();
    assert!(staged.is_empty(), "left staged: {staged:?}");
    assert_eq!(open_uploads(&storage).await, 0);
}

/// Tiny chunks as intelligent uploads send them and whole parts of 5 MiB and more: every S3
/// part but the last reaches 5 MiB, a single-piece run is copied inside the bucket, and the
/// bytes read back are the ones staged.
#[tokio::test]
async fn pieces_of_mixed_sizes_become_s3_parts() {
    let Some((_bucket, storage)) = storage_in("assembly", None).await else {
        return;
    };
    let mib = 1 << 20;
    // 20 chunks of 256 KiB (a streamed part of exactly 5 MiB), one 6 MiB part (copied), then a
    // short tail of uneven chunks, one of them empty (the streamed last part).
    let mut sizes = vec![256 << 10; 20];
    sizes.extend([6 * mib, 100 << 10, 1, 0, 3]);
    let mut whole = Vec::new();
    let mut pieces = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let bytes = data(*size, i as u32 + 1);
        pieces.push(stage(&storage, "fii", &bytes).await);
        whole.extend_from_slice(&bytes);
    }
    let total = whole.len() as u64;
    assert_eq!(
        storage.assemble("fii", "mixed", &pieces).await.unwrap(),
        total
    );
    assert!(read(&storage, "mixed", None).await == whole, "bytes differ");
    let five = 5 * mib as u64;
    for range in [
        five - 3..five + 3,
        0..1,
        total - 5..total,
        11 * mib as u64 - 1..total,
    ] {
        let want = &whole[range.start as usize..range.end as usize];
        assert!(
            read(&storage, "mixed", Some(range.clone())).await == want,
            "{range:?}"
        );
    }
    // A multipart object's ETag counts its parts.
    let head = storage
        .store
        .head(&storage.object("mixed").unwrap())
        .await
        .unwrap();
    assert!(
        head.e_tag
            .as_deref()
            .is_some_and(|t| t.trim_matches('"').ends_with("-3")),
        "{head:?}"
    );

    // One piece alone is one copy inside the bucket.
    let big = pieces[20].clone();
    storage.assemble("fii", "copied", &[big]).await.unwrap();
    assert!(
        read(&storage, "copied", None).await == whole[five as usize..11 * mib],
        "copy"
    );

    // A request dropped while assembling: the assembly still finishes on its own.
    let dropped = {
        let storage = storage.clone();
        let pieces = pieces.clone();
        tokio::spawn(async move { storage.assemble("fii", "dropped", &pieces).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    dropped.abort();
    let mut finished = false;
    for _ in 0..100 {
        if storage.get("dropped", Some(0..1)).await.is_ok() && open_uploads(&storage).await == 0 {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(finished, "the dropped assembly did not finish");
    assert!(
        read(&storage, "dropped", None).await == whole,
        "bytes differ"
    );
    storage.discard_upload("fii").await.unwrap();
    assert_eq!(open_uploads(&storage).await, 0);
}

/// A part that fails aborts the multipart upload: nothing half-written stays open.
#[tokio::test]
async fn a_failed_part_aborts_the_multipart_upload() {
    let Some((_bucket, storage)) = storage_in("aborts", None).await else {
        return;
    };
    let key = storage.object("half").unwrap();
    let store = storage.store.clone();
    let failed = requests::multipart(&storage.store, &key, 3, |i, id| {
        let (store, key) = (store.clone(), key.clone());
        async move {
            if i == 1 {
                return Err(StorageError::Unavailable {
                    what: "part 2".into(),
                    cause: "the test says so".into(),
                });
            }
            let bytes = data(PART, i as u32);
            store
                .put_part(&key, &id, i, bytes.into())
                .await
                .map_err(|e| requests::failed(e, "part"))
        }
    })
    .await;
    assert!(
        matches!(failed, Err(StorageError::Unavailable { .. })),
        "{failed:?}"
    );
    assert_eq!(open_uploads(&storage).await, 0);
    assert!(matches!(
        storage.get("half", None).await,
        Err(StorageError::NotFound { .. })
    ));
    // Staging a body that turns out wrong after a multipart upload began aborts it too.
    let big = data(PART + 10, 7);
    let err = storage
        .stage(
            "up",
            big_body(&big),
            Expect::Exact {
                size: big.len() as u64,
                md5: Some([0; 16]),
            },
        )
        .await;
    assert!(
        matches!(err, Err(StorageError::Md5Mismatch { .. })),
        "{err:?}"
    );
    assert_eq!(open_uploads(&storage).await, 0);
}

/// Parts sent by clients straight to the bucket pass the direct-upload conformance suite, and
/// nothing of them stays open in the bucket after.
#[tokio::test]
async fn direct_uploads_conform() {
    let Some((_bucket, storage)) = storage_in("direct", Some("apps/k")).await else {
        return;
    };
    let client = reqwest::Client::new();
    let send = |part: PresignedPart, bytes: Vec<u8>| {
        let mut req = client.put(part.url.clone()).body(bytes);
        for (name, value) in &part.headers {
            req = req.header(name, value);
        }
        async move {
            let resp = req.send().await.map_err(|e| e.to_string())?;
            if !resp.status().is_success() {
                return Err(format!(
                    "{}: {}",
                    resp.status(),
                    resp.text().await.unwrap_or_default()
                ));
            }
            Ok(resp.headers()["etag"].to_str().unwrap().to_owned())
        }
    };
    crate::storage::direct_conformance::run(&storage, send).await;
    assert_eq!(open_uploads(&storage).await, 0);
}

/// The bucket's CORS rules are read and replaced: none at first, then the rule browsers need
/// first and the bucket's own kept, which closes the gap for the app's origin.
#[tokio::test]
async fn cors_rules_are_read_and_set() {
    use crate::storage::bucket_cors::{CorsRule, gap, with_needed};
    let Some((_bucket, storage)) = storage_in("cors", None).await else {
        return;
    };
    let app = "http://app.test:8080".to_owned();
    let before = storage.cors().await.unwrap();
    let theirs = CorsRule {
        origins: vec!["*".into()],
        methods: vec!["GET".into()],
        headers: Vec::new(),
        expose: Vec::new(),
        max_age: None,
    };
    storage
        .set_cors(std::slice::from_ref(&theirs))
        .await
        .unwrap();
    let read = storage.cors().await.unwrap();
    assert!(gap(&read, &app).is_some(), "{before:?} {read:?}");
    storage
        .set_cors(&with_needed(&read, std::slice::from_ref(&app)))
        .await
        .unwrap();
    let after = storage.cors().await.unwrap();
    assert_eq!(gap(&after, &app), None, "{after:?}");
    assert!(after.iter().any(|r| r.methods == ["GET"]), "{after:?}");
}

/// Settings that cannot work stop the storage from opening, naming the setting and never the
/// secret.
#[tokio::test]
async fn opening_names_the_setting_at_fault() {
    let Some(bucket) = seaweed::bucket("setup").await else {
        return;
    };
    let good = settings(&bucket, None);
    let secret = "wrong-secret-5f3a";
    let cases = [
        (
            S3StorageSettings {
                secret_access_key: Secret(secret.into()),
                ..good.clone()
            },
            "secret_access_key",
        ),
        (
            S3StorageSettings {
                access_key_id: "nobody".into(),
                ..good.clone()
            },
            "access_key_id",
        ),
        (
            S3StorageSettings {
                bucket: "missing".into(),
                ..good.clone()
            },
            "bucket",
        ),
        (
            S3StorageSettings {
                endpoint: Some("not a url".into()),
                ..good.clone()
            },
            "endpoint",
        ),
        (
            S3StorageSettings {
                path_style: false,
                ..good.clone()
            },
            "path_style",
        ),
        (
            S3StorageSettings {
                prefix: Some("a//b".into()),
                ..good.clone()
            },
            "prefix",
        ),
    ];
    for (s, setting) in cases {
        let err = S3Storage::open(&s).await.unwrap_err();
        assert_eq!(err.setting, setting, "{err}");
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(secret) && !shown.contains(seaweed::SECRET_KEY),
            "{shown}"
        );
    }
    let storage = S3Storage::open(&good).await.unwrap();
    let shown = format!("{storage:?}");
    assert!(!shown.contains(seaweed::SECRET_KEY), "{shown}");
}

/// An S3 that refuses connections, or answers 503 to everything: every call is
/// [`StorageError::Unavailable`], which the HTTP layer answers with a 503.
#[tokio::test]
async fn an_outage_is_unavailable_and_a_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let refused = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let failing = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let down = format!("http://{}", failing.local_addr().unwrap());
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>",
        )
    });
    tokio::spawn(async move { axum::serve(failing, app).await });

    let setup = |endpoint: &str| S3StorageSettings {
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".into(),
        bucket: "b".into(),
        prefix: None,
        access_key_id: "k".into(),
        secret_access_key: Secret("s".into()),
        path_style: true,
    };
    let err = S3Storage::open(&setup(&refused)).await.unwrap_err();
    assert_eq!(err.setting, "endpoint", "{err}");
    for endpoint in [&refused, &down] {
        let storage = S3Storage::new(&setup(endpoint)).unwrap();
        let (staged, got, listed, assembled) = tokio::join!(
            storage.stage("up", body(b"abc"), Expect::AtMost(10)),
            storage.get("obj", None),
            storage.list(),
            storage.assemble("up", "obj", &[]),
        );
        for err in [
            staged.map(drop),
            got.map(drop),
            listed.map(drop),
            assembled.map(drop),
        ] {
            let err = err.unwrap_err();
            assert!(
                matches!(err, StorageError::Unavailable { .. }),
                "{endpoint}: {err:?}"
            );
            let answer = crate::error::ApiError::from(err);
            assert_eq!(answer.status, axum::http::StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(answer.code, skiff_protocol::ErrorCode::StorageUnavailable);
            assert_eq!(answer.retry_after, Some(5));
        }
    }
}

#[test]
fn failures_and_answers_read_right() {
    assert_eq!(
        status_in(
            "Error performing PUT … - Server returned non-2xx status code: 503 Service Unavailable: x"
        ),
        Some(503)
    );
    assert_eq!(status_in("no status here"), None);
    assert_eq!(
        copied_etag("<CopyPartResult><ETag>&quot;abc&quot;</ETag></CopyPartResult>").as_deref(),
        Some("\"abc\"")
    );
    assert_eq!(
        copied_etag("<Error><Code>InternalError</Code></Error>"),
        None
    );
    for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(201)] {
        assert!(segment(bad).is_err(), "{bad:?}");
    }
    assert!(segment("AbC-1_2.x").is_ok());
}
