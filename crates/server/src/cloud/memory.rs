//! The in-memory twin of a source: a tree of files held in a map, with small pages so paging is
//! exercised. The API tests use it; it passes the same conformance suite as the real sources.
//! Like the owner's own sources it has no thumbnail service: a small image is its own picture.

use super::thumbnails::{self, Preview, Thumbnail};
use super::{CloudItem, CloudPath, Download, Page, Source, SourceError};
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Files by path (`/a/b.txt`); folders are the prefixes of the files' paths.
#[derive(Debug)]
pub struct MemorySource {
    name: &'static str,
    display: &'static str,
    page_size: usize,
    files: Mutex<BTreeMap<String, Bytes>>,
}

impl MemorySource {
    /// An empty source answering to `name`, listing `page_size` entries per page.
    pub fn new(name: &'static str, display: &'static str, page_size: usize) -> Self {
        Self {
            name,
            display,
            page_size: page_size.max(1),
            files: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds (or replaces) the file at `path` (`/folder/name`).
    pub fn put(&self, path: &str, bytes: impl Into<Bytes>) {
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_owned(), bytes.into());
    }

    fn files(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Bytes>> {
        self.files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Source for MemorySource {
    fn name(&self) -> &'static str {
        self.name
    }

    fn display_name(&self) -> &'static str {
        self.display
    }

    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError> {
        if !dir.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{dir} is a file, not a folder"
            )));
        }
        let start = match cursor {
            None => 0,
            Some(c) => c.parse::<usize>().map_err(|_| {
                SourceError::Upstream(format!("the page cursor {c:?} is not one this source gave"))
            })?,
        };
        let files = self.files();
        let mut folders = BTreeSet::new();
        let mut entries = Vec::new();
        let mut found = dir.as_str() == "/";
        for (path, bytes) in files.iter() {
            let Some(rest) = path.strip_prefix(dir.as_str()) else {
                continue;
            };
            found = true;
            match rest.split_once('/') {
                Some((folder, _)) => {
                    folders.insert(folder.to_owned());
                }
                None => entries.push(CloudItem {
                    name: rest.to_owned(),
                    path: CloudPath::parse(path).map_err(SourceError::Upstream)?,
                    folder: false,
                    size: bytes.len() as u64,
                    mimetype: None,
                    preview: thumbnails::own_preview(rest, None, bytes.len() as u64),
                }),
            }
        }
        if !found {
            return Err(SourceError::NotFound(dir.to_string()));
        }
        let mut items = Vec::with_capacity(folders.len() + entries.len());
        for f in folders {
            items.push(CloudItem {
                path: dir.join(&f, true).map_err(SourceError::Upstream)?,
                name: f,
                folder: true,
                size: 0,
                mimetype: None,
                preview: Preview::Icon,
            });
        }
        items.extend(entries);
        let end = (start + self.page_size).min(items.len());
        let next = (end < items.len()).then(|| end.to_string());
        Ok(Page {
            items: items.get(start..end).map(<[_]>::to_vec).unwrap_or_default(),
            next,
            pick_url: None,
        })
    }

    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
        if path.is_folder() {
            return Err(SourceError::WrongKind(format!(
                "{path} is a folder, not a file"
            )));
        }
        let bytes = self
            .files()
            .get(path.as_str())
            .cloned()
            .ok_or_else(|| SourceError::NotFound(path.to_string()))?;
        let len = bytes.len() as u64;
        if from > len {
            return Err(SourceError::Upstream(format!(
                "offset {from} is past the end of {path} ({len} bytes)"
            )));
        }
        let rest = bytes.slice(from as usize..);
        // In small chunks, as a network would deliver them.
        let chunks: Vec<Result<Bytes, std::io::Error>> = (0..rest.len())
            .step_by(64 * 1024)
            .map(|at| Ok(rest.slice(at..rest.len().min(at + 64 * 1024))))
            .collect();
        Ok(Download {
            name: path.name().to_owned(),
            size: Some(len),
            mimetype: None,
            body: Box::pin(futures_util::stream::iter(chunks)),
        })
    }

    async fn thumbnail(
        &self,
        path: &CloudPath,
        _hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        thumbnails::own_picture(path.name(), self.open(path, 0)).await
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn passes_the_conformance_suite() {
        let source = super::MemorySource::new("memory", "Memory", 2);
        super::super::conformance::fill_memory(&source);
        super::super::conformance::run(&source).await;
    }
}
