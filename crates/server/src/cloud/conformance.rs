//! The one test suite every [`Source`] must pass: fill the source with [`tree`] (with
//! [`fill_memory`], or [`fill_dir`] for a server that serves a folder), then call [`run`].
//! It lists, reads (whole and from an offset), names what is missing, and asks for pictures:
//! the image in the tree gets one (the source's own thumbnail, or itself where the source has
//! no thumbnail service), the other files show their type's icon.

#![allow(clippy::unwrap_used)] // a test suite: failures should panic with context

use super::thumbnails::{self, Preview};
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

/// A small image (a 4×4 PNG), the tree's one picture.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x26, 0x93, 0x09,
    0x29, 0x00, 0x00, 0x00, 0x14, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xb4, 0xaa, 0xbe, 0xca,
    0x00, 0x03, 0x4c, 0x0c, 0x48, 0x00, 0x37, 0x07, 0x00, 0x4d, 0x5d, 0x01, 0x92, 0xdb, 0xf1, 0xec,
    0x25, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The files every source is filled with: an empty file, names with spaces and non-ASCII
/// letters, a nested folder, a file of a few MiB, and an image.
pub fn tree() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("/readme.txt", b"hello from the source\n".to_vec()),
        ("/empty.bin", Vec::new()),
        ("/docs/report q3.csv", b"a,b\n1,2\n".to_vec()),
        ("/docs/Überblick – 2026.txt", "grüße\n".as_bytes().to_vec()),
        ("/docs/deep/big.bin", bytes_of(3 * 1024 * 1024 + 17, 7)),
        ("/docs/photo.png", PNG.to_vec()),
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
    assert_eq!(
        names,
        ["deep", "photo.png", "report q3.csv", "Überblick – 2026.txt"]
    );
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

    pictures(source, &root, &docs).await;
}

/// The image in `docs` is listed with a picture the source makes, and that picture is an image
/// the server would relay; folders and the other files show their icons, and asking for a
/// picture of one does not fail.
async fn pictures(source: &dyn Source, root: &[super::CloudItem], docs: &[super::CloudItem]) {
    let named = |name: &str| docs.iter().find(|i| i.name == name).unwrap();
    let photo = named("photo.png");
    let Preview::Made(hint) = &photo.preview else {
        panic!(
            "{}: photo.png listed with {:?}",
            source.name(),
            photo.preview
        );
    };
    let t = source
        .thumbnail(&photo.path, hint.as_deref())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{}: no picture of photo.png", source.name()));
    assert!(thumbnails::relayable(&t.mimetype), "{}", t.mimetype);
    let bytes: Vec<Bytes> = t.body.try_collect().await.unwrap();
    let bytes = bytes.concat();
    assert!(
        !bytes.is_empty() && bytes.len() as u64 <= thumbnails::MAX_BYTES,
        "{} bytes",
        bytes.len()
    );
    assert!(t.size.is_none_or(|s| s == bytes.len() as u64));
    // Even without the listing's hint, the source finds the picture.
    assert!(source.thumbnail(&photo.path, None).await.unwrap().is_some());
    for item in root.iter().chain(docs).filter(|i| i.name != "photo.png") {
        assert_eq!(item.preview, Preview::Icon, "{}", item.path);
    }
    let csv = named("report q3.csv");
    source.thumbnail(&csv.path, None).await.unwrap();
}
