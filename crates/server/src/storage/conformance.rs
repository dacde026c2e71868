//! The one test suite every [`Storage`] backend must pass (call [`run`] from the backend's tests).

#![allow(clippy::unwrap_used)] // a test suite: failures should panic with context

use super::{ByteStream, Expect, Piece, Storage, StorageError};
use bytes::Bytes;
use futures_util::TryStreamExt;
use md5::Digest;
use std::time::SystemTime;

/// A body that arrives in small chunks, as from the network.
pub fn body(data: &[u8]) -> ByteStream {
    body_in(data, 7)
}

/// A body that arrives in chunks of `chunk` bytes (the 7-byte ones of [`body`] take seconds for
/// a MiB).
pub(super) fn body_in(data: &[u8], chunk: usize) -> ByteStream {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Box::pin(futures_util::stream::iter(chunks))
}

pub(super) async fn read(
    storage: &dyn Storage,
    name: &str,
    range: Option<std::ops::Range<u64>>,
) -> Vec<u8> {
    let chunks: Vec<Bytes> = storage
        .get(name, range)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

pub(super) fn md5(data: &[u8]) -> [u8; 16] {
    md5::Md5::digest(data).into()
}

/// Runs every check against `storage`, which must start empty.
pub async fn run(storage: &dyn Storage) {
    write_times(storage).await;
    // Staging checks size and MD5 and keeps nothing it refused.
    let a = storage
        .stage(
            "up1",
            body(b"hello "),
            Expect::Exact {
                size: 6,
                md5: Some(md5(b"hello ")),
            },
        )
        .await
        .unwrap();
    assert_eq!((a.size, a.md5), (6, md5(b"hello ")));
    let err = storage
        .stage(
            "up1",
            body(b"world"),
            Expect::Exact {
                size: 5,
                md5: Some(md5(b"World")),
            },
        )
        .await;
    assert!(
        matches!(err, Err(StorageError::Md5Mismatch { .. })),
        "{err:?}"
    );
    let err = storage
        .stage("up1", body(b"world"), Expect::Exact { size: 6, md5: None })
        .await;
    assert!(
        matches!(
            err,
            Err(StorageError::SizeMismatch {
                expected: 6,
                actual: 5
            })
        ),
        "{err:?}"
    );
    let err = storage
        .stage(
            "up1",
            body(b"world!!"),
            Expect::Exact { size: 6, md5: None },
        )
        .await;
    assert!(
        matches!(err, Err(StorageError::SizeMismatch { expected: 6, .. })),
        "{err:?}"
    );
    let b = storage
        .stage("up1", body(b"world"), Expect::Exact { size: 5, md5: None })
        .await
        .unwrap();
    assert_ne!(a.id, b.id);

    // Assembly concatenates in the order given; ranges read across pieces.
    let pieces = [
        Piece {
            id: a.id.clone(),
            size: 6,
        },
        Piece {
            id: b.id.clone(),
            size: 5,
        },
    ];
    assert_eq!(storage.assemble("up1", "obj1", &pieces).await.unwrap(), 11);
    assert_eq!(read(storage, "obj1", None).await, b"hello world");
    assert_eq!(read(storage, "obj1", Some(4..8)).await, b"o wo");
    assert_eq!(read(storage, "obj1", Some(6..11)).await, b"world");
    assert_eq!(read(storage, "obj1", Some(0..0)).await, b"");

    // The object outlives its staging.
    storage.discard_upload("up1").await.unwrap();
    storage.discard_upload("up1").await.unwrap();
    assert_eq!(read(storage, "obj1", None).await, b"hello world");
    let err = storage.assemble("up1", "obj2", &pieces).await;
    assert!(err.is_err());

    // A piece with a wrong declared size is refused at assembly.
    let c = storage
        .stage("up2", body(b"abc"), Expect::AtMost(10))
        .await
        .unwrap();
    let err = storage
        .assemble(
            "up2",
            "obj3",
            &[Piece {
                id: c.id.clone(),
                size: 4,
            }],
        )
        .await;
    assert!(err.is_err());
    storage.discard("up2", &c.id).await.unwrap();
    storage.discard("up2", &c.id).await.unwrap();

    uneven_pieces(storage).await;
    reads_outlive_changes(storage, Made::Pieces).await;
    whole_objects(storage, &[("obj1", 11)]).await;
    storage.delete("obj1").await.unwrap();
}

/// Runs the checks that apply to `storage`, which must start empty, where uploads never land (an
/// Azure location): staging and assembly are refused, and whole objects behave as everywhere.
pub async fn run_location(storage: &dyn Storage) {
    write_times(storage).await;
    let staged = storage
        .stage("up1", body(b"hello"), Expect::AtMost(10))
        .await;
    assert!(
        matches!(staged, Err(StorageError::Refused { .. })),
        "{staged:?}"
    );
    let assembled = storage.assemble("up1", "obj1", &[]).await;
    assert!(
        matches!(assembled, Err(StorageError::Refused { .. })),
        "{assembled:?}"
    );
    assert!(matches!(
        storage.get("obj1", None).await,
        Err(StorageError::NotFound { .. })
    ));
    storage.discard_upload("up1").await.unwrap();
    whole_objects(storage, &[]).await;
    reads_outlive_changes(storage, Made::Whole).await;
    assert!(storage.list().await.unwrap().is_empty());
}

/// Objects written whole (`put`): size limits, ranges, listing, replacing, deleting. `others`
/// are the objects (name, size) already in `storage`, which it lists too.
async fn whole_objects(storage: &dyn Storage, others: &[(&str, u64)]) {
    let w = storage
        .put("obj4", body(b"0123456789"), Expect::AtMost(10))
        .await
        .unwrap();
    assert_eq!((w.size, w.md5), (10, md5(b"0123456789")));
    assert_eq!(read(storage, "obj4", Some(2..5)).await, b"234");
    assert!(matches!(
        storage
            .put("obj5", body(b"0123456789"), Expect::AtMost(9))
            .await,
        Err(StorageError::TooLarge { limit: 9 })
    ));
    assert!(matches!(
        storage.get("obj5", None).await,
        Err(StorageError::NotFound { .. })
    ));
    let mut listed = storage.list().await.unwrap();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let listed: Vec<(&str, u64)> = listed.iter().map(|o| (o.name.as_str(), o.size)).collect();
    let mut want = [others, &[("obj4", 10)]].concat();
    want.sort_unstable();
    assert_eq!(listed, want);
    // Replacing, then deleting (twice is fine).
    storage
        .put("obj4", body(b"new"), Expect::AtMost(10))
        .await
        .unwrap();
    assert_eq!(read(storage, "obj4", None).await, b"new");
    storage.delete("obj4").await.unwrap();
    storage.delete("obj4").await.unwrap();
    assert!(matches!(
        storage.get("obj4", None).await,
        Err(StorageError::NotFound { .. })
    ));

    // An empty body is a valid object.
    storage
        .put("obj6", body(b""), Expect::AtMost(10))
        .await
        .unwrap();
    assert_eq!(read(storage, "obj6", None).await, b"");
    storage.delete("obj6").await.unwrap();
}

/// `list` reports when each object was written, close to the wall clock (allowing for
/// filesystems that keep coarse times), so the orphan sweep can tell fresh objects from old.
async fn write_times(storage: &dyn Storage) {
    let slack = std::time::Duration::from_secs(5);
    let before = SystemTime::now();
    storage
        .put("timed", body(b"tick"), Expect::AtMost(10))
        .await
        .unwrap();
    let after = SystemTime::now();
    let listed = storage.list().await.unwrap();
    let timed = listed.iter().find(|o| o.name == "timed").unwrap();
    assert_eq!(timed.size, 4);
    assert!(
        timed.modified + slack >= before && timed.modified <= after + slack,
        "{timed:?} not written between {before:?} and {after:?}"
    );
    storage.delete("timed").await.unwrap();
    assert!(storage.list().await.unwrap().is_empty());
}

/// `assemble` promises nothing about piece sizes (see [`Storage::assemble`]): tiny, uneven and
/// empty pieces, in any order of sizes, make the object; no pieces make an empty one.
async fn uneven_pieces(storage: &dyn Storage) {
    let data: [&[u8]; 5] = [b"a", b"", b"bcdef", b"gh", b"ijklmnopqrstuvwxyz"];
    let mut pieces = Vec::new();
    for bytes in data {
        let w = storage
            .stage("up3", body(bytes), Expect::AtMost(100))
            .await
            .unwrap();
        pieces.push(Piece {
            id: w.id,
            size: w.size,
        });
    }
    assert_eq!(storage.assemble("up3", "obj7", &pieces).await.unwrap(), 26);
    assert_eq!(read(storage, "obj7", None).await, data.concat());
    assert_eq!(read(storage, "obj7", Some(1..7)).await, b"bcdefg");
    // The same pieces again, in another order, replace the object.
    pieces.reverse();
    storage.assemble("up3", "obj7", &pieces).await.unwrap();
    assert_eq!(read(storage, "obj7", Some(0..4)).await, b"ijkl");
    assert_eq!(storage.assemble("up3", "obj8", &[]).await.unwrap(), 0);
    assert_eq!(read(storage, "obj8", None).await, b"");
    storage.discard_upload("up3").await.unwrap();
    storage.delete("obj7").await.unwrap();
    storage.delete("obj8").await.unwrap();
}

/// Makes object `name` of three staged pieces of 300 000 bytes (which depend on `seed`), each
/// sent as one chunk; returns its bytes. A backend that opens its pieces as a read reaches them
/// (the filesystem's) reads three of them.
pub async fn three_pieces(storage: &dyn Storage, name: &str, seed: u32) -> Vec<u8> {
    let data = seeded(seed);
    let mut pieces = Vec::new();
    for chunk in data.chunks(300_000) {
        let one: ByteStream = Box::pin(futures_util::stream::iter([Ok(Bytes::copy_from_slice(
            chunk,
        ))]));
        let w = storage
            .stage("up4", one, Expect::AtMost(1 << 20))
            .await
            .unwrap();
        pieces.push(Piece {
            id: w.id,
            size: w.size,
        });
    }
    storage.assemble("up4", name, &pieces).await.unwrap();
    storage.discard_upload("up4").await.unwrap();
    data
}

/// 900 000 bytes that depend on `seed`.
fn seeded(seed: u32) -> Vec<u8> {
    (0..900_000u32).map(|i| ((i + seed) % 251) as u8).collect()
}

/// How [`reads_outlive_changes`] makes its objects.
#[derive(Debug, Clone, Copy)]
enum Made {
    /// Of three staged pieces ([`three_pieces`]), as uploads land.
    Pieces,
    /// Written whole (`put`), as transfers write a location, in chunks of 300 000 bytes.
    Whole,
}

impl Made {
    /// Makes object `name` of 900 000 bytes that depend on `seed`; returns them.
    async fn object(self, storage: &dyn Storage, name: &str, seed: u32) -> Vec<u8> {
        match self {
            Made::Pieces => three_pieces(storage, name, seed).await,
            Made::Whole => {
                let data = seeded(seed);
                let chunks: Vec<Result<Bytes, std::io::Error>> = data
                    .chunks(300_000)
                    .map(|c| Ok(Bytes::copy_from_slice(c)))
                    .collect();
                let body: ByteStream = Box::pin(futures_util::stream::iter(chunks));
                storage
                    .put(name, body, Expect::AtMost(1 << 20))
                    .await
                    .unwrap();
                data
            }
        }
    }
}

/// A read that has begun gets every byte of the version it began on, even when the object is
/// deleted or replaced meanwhile; a read that starts afterwards sees the change. (A transfer to
/// another location deletes the landed copy while downloads of it may be running; deleting a
/// file deletes its copy in a location while a download of it may be running.)
async fn reads_outlive_changes(storage: &dyn Storage, made: Made) {
    use futures_util::StreamExt as _;
    let drain = |mut got: Vec<u8>, mut read: ByteStream| async move {
        while let Some(chunk) = read.next().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        got
    };
    let data = made.object(storage, "obj9", 0).await;
    let mut open = storage.get("obj9", None).await.unwrap();
    let first = open.next().await.unwrap().unwrap().to_vec();
    storage.delete("obj9").await.unwrap();
    assert!(
        matches!(
            storage.get("obj9", None).await,
            Err(StorageError::NotFound { .. })
        ),
        "a read after the delete finds nothing"
    );
    assert!(
        drain(first, open).await == data,
        "a read that had begun gets every byte"
    );

    let old = made.object(storage, "obj10", 0).await;
    let mut open = storage.get("obj10", None).await.unwrap();
    let first = open.next().await.unwrap().unwrap().to_vec();
    let new = made.object(storage, "obj10", 7).await;
    assert!(
        drain(first, open).await == old,
        "a read that had begun gets the old version whole"
    );
    assert!(
        read(storage, "obj10", None).await == new,
        "a read after the replacement gets the new version"
    );
    storage.delete("obj10").await.unwrap();
}
