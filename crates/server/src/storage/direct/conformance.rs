//! The conformance suite of [`DirectUploads`]: every storage that offers direct uploads must
//! pass it. `send` plays the client: it PUTs bytes to a presigned part with its headers and
//! returns the `ETag` of the answer, or why the storage refused them.

use super::{DirectUploads, PresignedPart};
use crate::storage::{Storage, StorageError};
use futures_util::TryStreamExt;
use md5::Digest;
use skiff_protocol::limits::MIN_PART_SIZE;
use std::future::Future;
use std::time::Duration;

const LIFETIME: Duration = Duration::from_secs(300);

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn md5(bytes: &[u8]) -> [u8; 16] {
    md5::Md5::digest(bytes).into()
}

async fn read(storage: &dyn Storage, name: &str) -> Vec<u8> {
    let stream = storage.get(name, None).await.expect("object readable");
    let chunks: Vec<_> = stream.try_collect().await.expect("object read");
    chunks.concat()
}

/// Runs every case against `storage`, whose [`Storage::direct`] must be offered.
pub async fn run<F, Fut>(storage: &dyn Storage, send: F)
where
    F: Fn(PresignedPart, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let direct = storage
        .direct()
        .expect("this storage offers direct uploads");
    two_parts_make_the_object(storage, direct, &send).await;
    only_the_signed_bytes_pass(direct, &send).await;
    refused_completions_leave_the_upload_open(storage, direct, &send).await;
    aborted_uploads_are_gone(direct, &send).await;
}

async fn two_parts_make_the_object<F, Fut>(
    storage: &dyn Storage,
    direct: &dyn DirectUploads,
    send: &F,
) where
    F: Fn(PresignedPart, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let first = data(MIN_PART_SIZE as usize, 1);
    let last = data(1000, 2);
    let upload = direct.start_direct("direct-two").await.unwrap();
    // The second part first, and without an MD5: clients may skip integrity checks.
    let p2 = direct
        .presign_part(&upload, 2, None, LIFETIME)
        .await
        .unwrap();
    assert!(p2.headers.is_empty(), "{:?}", p2.headers);
    let e2 = send(p2, last.clone()).await.unwrap();
    let p1 = direct
        .presign_part(&upload, 1, Some(md5(&first)), LIFETIME)
        .await
        .unwrap();
    assert!(
        p1.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-md5"))
    );
    // A part sent again replaces the earlier bytes; the ETag named at complete decides.
    let _ = send(p1.clone(), data(MIN_PART_SIZE as usize, 9)).await;
    let e1 = send(p1, first.clone()).await.unwrap();
    let etags = [e1, e2];
    let size = direct.complete_direct(&upload, &etags).await.unwrap();
    assert_eq!(size, MIN_PART_SIZE + 1000);
    // Once more, as after a lost answer.
    let again = direct.complete_direct(&upload, &etags).await.unwrap();
    assert_eq!(again, size);
    let mut whole = first;
    whole.extend_from_slice(&last);
    assert!(read(storage, "direct-two").await == whole, "bytes differ");
    // Completing is over; aborting then changes nothing.
    direct.abort_direct(&upload).await.unwrap();
    assert_eq!(read(storage, "direct-two").await.len(), whole.len());
    storage.delete("direct-two").await.unwrap();
}

async fn only_the_signed_bytes_pass<F, Fut>(direct: &dyn DirectUploads, send: &F)
where
    F: Fn(PresignedPart, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let bytes = data(4096, 3);
    let upload = direct.start_direct("direct-signed").await.unwrap();
    let part = direct
        .presign_part(&upload, 1, Some(md5(&bytes)), LIFETIME)
        .await
        .unwrap();
    let mut tampered = bytes.clone();
    tampered[17] ^= 1;
    let refused = send(part.clone(), tampered.clone()).await;
    assert!(refused.is_err(), "other bytes than the signed MD5's passed");
    // Another Content-MD5 than the signed one does not pass either.
    let mut forged = part.clone();
    let digest = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, md5(&tampered));
    forged.headers = vec![("Content-MD5".into(), digest)];
    assert!(send(forged, tampered).await.is_err(), "a forged MD5 passed");
    assert!(send(part, bytes).await.is_ok());
    for number in [0, 10_001] {
        let err = direct
            .presign_part(&upload, number, None, LIFETIME)
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Refused { .. }), "{err:?}");
    }
    direct.abort_direct(&upload).await.unwrap();
}

async fn refused_completions_leave_the_upload_open<F, Fut>(
    storage: &dyn Storage,
    direct: &dyn DirectUploads,
    send: &F,
) where
    F: Fn(PresignedPart, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let small = data(1000, 4);
    let upload = direct.start_direct("direct-refused").await.unwrap();
    let mut etags = Vec::new();
    for n in 1..=2 {
        let part = direct
            .presign_part(&upload, n, Some(md5(&small)), LIFETIME)
            .await
            .unwrap();
        etags.push(send(part, small.clone()).await.unwrap());
    }
    // A part under 5 MiB that is not the last.
    let err = direct.complete_direct(&upload, &etags).await.unwrap_err();
    assert!(matches!(err, StorageError::Refused { .. }), "{err:?}");
    // An ETag no part has.
    let wrong = vec!["\"0123456789abcdef0123456789abcdef\"".to_owned()];
    let err = direct.complete_direct(&upload, &wrong).await.unwrap_err();
    assert!(matches!(err, StorageError::Refused { .. }), "{err:?}");
    // Still open: the right list completes it.
    let size = direct.complete_direct(&upload, &etags[..1]).await.unwrap();
    assert_eq!(size, 1000);
    assert!(read(storage, "direct-refused").await == small);
    storage.delete("direct-refused").await.unwrap();
}

async fn aborted_uploads_are_gone<F, Fut>(direct: &dyn DirectUploads, send: &F)
where
    F: Fn(PresignedPart, Vec<u8>) -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    let bytes = data(1000, 5);
    let upload = direct.start_direct("direct-aborted").await.unwrap();
    let part = direct
        .presign_part(&upload, 1, Some(md5(&bytes)), LIFETIME)
        .await
        .unwrap();
    let etag = send(part.clone(), bytes.clone()).await.unwrap();
    direct.abort_direct(&upload).await.unwrap();
    direct.abort_direct(&upload).await.unwrap();
    let err = direct.complete_direct(&upload, &[etag]).await.unwrap_err();
    assert!(matches!(err, StorageError::NotFound { .. }), "{err:?}");
    assert!(
        send(part, bytes).await.is_err(),
        "a part of an aborted upload was taken"
    );
}
