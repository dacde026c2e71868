//! The one test suite every [`Source`] must pass: fill the source with [`tree`] (with
//! [`fill_memory`], or [`fill_dir`] for a server that serves a folder), then call [`run`].

#![allow(clippy::unwrap_used)] // a test suite: failures should panic with context

use super::{CloudPath, MemorySource, Source, SourceError};
use bytes::Bytes;
use futures_util::TryStreamExt;
use std::collections::BTreeMap;
use std::path::Path;

/// A file of `len` bytes that differ from one offset to the next (so a wrong offset shows).
pub fn bytes_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[1] ^ seed)
        .collect()
}

/// The files every source is filled with: an empty file, names with spaces and non-ASCII
/// letters, a nested folder, and a file of a few MiB.
pub fn tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("/readme.txt", b"hello from the source\n".to_vec()),
        ("/empty.bin", Vec::new()),
        ("/docs/report q3.csv", b"a,b\n1,2\n".to_vec()),
        ("/docs/Überblick – 2026.txt", "grüße\n".as_bytes().to_vec()),
        ("/docs/deep/big.bin", bytes_of(3 * 1024 * 1024 + 17, 7)),
    ]
}

/// Puts [`tree`] into a memory source.
pub fn fill_memory(source: &MemorySource) {
    for (path, bytes) in tree() {
        source.put(path, bytes);
    }
}

/// Writes [`tree`] under `dir`, for a server that serves that folder.
pub fn fill_dir(dir: &Path) {
    for (path, bytes) in tree() {
        let file = dir.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
}

async fn read(source: &dyn Source, path: &CloudPath, from: u64) -> Vec<u8> {
    let d = source.open(path, from).await.unwrap();
    let chunks: Vec<Bytes> = d.body.try_collect().await.unwrap();
    chunks.concat()
}

/// Every entry of `dir`, following the pages, folders first and then by name (the order of a
/// source's own pages is its business).
async fn list_all(source: &dyn Source, dir: &CloudPath) -> Vec<super::CloudItem> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page = source.list(dir, cursor.as_deref()).await.unwrap();
        items.extend(page.items);
        match page.next {
            Some(n) => cursor = Some(n),
            None => {
                items.sort_by(|a, b| b.folder.cmp(&a.folder).then_with(|| a.name.cmp(&b.name)));
                return items;
            }
        }
    }
    panic!("{dir}: more than 100 pages");
}

/// Runs every check against `source`, filled with [`tree`]. Paths are the source's own (some
/// put ids in them); the checks go by names, and by the paths the source hands out.
pub async fn run(source: &dyn Source) {
    let want: BTreeMap<&str, Vec<u8>> = tree().into_iter().collect();

    // The root: its folder first, then its files, names as people read them.
    let root = list_all(source, &CloudPath::root()).await;
    let shown: Vec<(&str, bool)> = root.iter().map(|i| (i.name.as_str(), i.folder)).collect();
    assert_eq!(
        shown,
        [("docs", true), ("empty.bin", false), ("readme.txt", false)],
        "the root of {}",
        source.name()
    );
    for i in &root {
        assert_eq!(
            i.path.is_folder(),
            i.folder,
            "{}: folder paths end with /",
            i.path
        );
    }
    assert_eq!(root[2].size, 22);
    assert_eq!(source.folder_name(&root[0].path), "docs");

    // A folder's entries give paths that open to the right bytes, non-ASCII names included.
    let docs = list_all(source, &root[0].path).await;
    let names: Vec<&str> = docs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["deep", "report q3.csv", "Überblick – 2026.txt"]);
    for item in docs.iter().filter(|i| !i.folder) {
        let bytes = &want[format!("/docs/{}", item.name).as_str()];
        assert_eq!(item.size, bytes.len() as u64, "{}", item.path);
        assert_eq!(&read(source, &item.path, 0).await, bytes, "{}", item.path);
    }
    let deep = list_all(source, &docs[0].path).await;
    assert_eq!(deep.len(), 1);
    let big = &deep[0];
    let big_bytes = &want["/docs/deep/big.bin"];
    assert_eq!(
        (big.name.as_str(), big.size),
        ("big.bin", big_bytes.len() as u64)
    );

    // Open from an offset (an import resuming after a dropped connection), and whole.
    let d = source.open(&big.path, 0).await.unwrap();
    assert_eq!(d.size, Some(big_bytes.len() as u64));
    assert_eq!(d.name, "big.bin");
    let from = 1_048_576 + 3;
    assert_eq!(
        read(source, &big.path, from).await,
        big_bytes[from as usize..]
    );
    assert_eq!(&read(source, &big.path, 0).await, big_bytes);
    assert!(
        read(source, &root[1].path, 0).await.is_empty(),
        "the empty file"
    );

    // What is not there, or not of the kind asked for, is named.
    let missing = root[0].path.join("nope.txt", false).unwrap();
    assert!(matches!(
        source.open(&missing, 0).await,
        Err(SourceError::NotFound(_))
    ));
    let missing_dir = CloudPath::root().join("nope", true).unwrap();
    assert!(matches!(
        source.list(&missing_dir, None).await,
        Err(SourceError::NotFound(_))
    ));
    assert!(matches!(
        source.open(&root[0].path, 0).await,
        Err(SourceError::WrongKind(_))
    ));
    let file_as_dir = CloudPath::parse(&format!("{}/", root[2].path)).unwrap();
    assert!(
        source.list(&file_as_dir, None).await.is_err(),
        "a file listed as a folder"
    );
}
