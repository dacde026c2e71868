//! An import's byte stream that survives dropped connections: when the source's stream fails
//! (or ends before the size the source announced), the file is opened again from the byte where
//! it stopped, a few times, so a long import over a flaky link does not start over.

use super::{CloudPath, Download, Source};
use crate::storage::ByteStream;
use futures_util::StreamExt;
use std::sync::Arc;

/// How many times one import reopens its file before it gives up.
pub const MAX_RESUMES: u32 = 3;

struct Reading {
    source: Arc<dyn Source>,
    path: CloudPath,
    size: Option<u64>,
    body: ByteStream,
    at: u64,
    resumes: u32,
}

/// The bytes of `first` (the file at `path` opened from 0), reopened from where they stopped
/// after a failure, up to [`MAX_RESUMES`] times.
pub fn resuming(source: Arc<dyn Source>, path: CloudPath, first: Download) -> ByteStream {
    let reading = Reading {
        source,
        path,
        size: first.size,
        body: first.body,
        at: 0,
        resumes: 0,
    };
    Box::pin(futures_util::stream::unfold(
        Some(reading),
        |reading| async move {
            let mut r = reading?;
            loop {
                let why = match r.body.next().await {
                    Some(Ok(chunk)) => {
                        r.at += chunk.len() as u64;
                        return Some((Ok(chunk), Some(r)));
                    }
                    Some(Err(e)) => e.to_string(),
                    None if r.size.is_none_or(|s| r.at >= s) => return None,
                    None => format!("the source's stream ended at byte {} of {:?}", r.at, r.size),
                };
                if r.resumes >= MAX_RESUMES {
                    let e = std::io::Error::other(format!(
                        "reading {} from the source failed {} times; last: {why}",
                        r.path,
                        r.resumes + 1
                    ));
                    return Some((Err(e), None));
                }
                r.resumes += 1;
                tracing::warn!(path = %r.path, at = r.at, %why, "cloud import resumes");
                match r.source.open(&r.path, r.at).await {
                    Ok(d) => r.body = d.body,
                    Err(e) => {
                        let e = std::io::Error::other(format!("reopening {}: {e}", r.path));
                        return Some((Err(e), None));
                    }
                }
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{MemorySource, Page, SourceError};
    use async_trait::async_trait;
    use bytes::Bytes;
    use futures_util::TryStreamExt;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A memory source whose streams break after `cut` bytes, the first `breaks` times.
    #[derive(Debug)]
    struct Flaky {
        inner: MemorySource,
        cut: usize,
        breaks: AtomicU32,
    }

    #[async_trait]
    impl Source for Flaky {
        fn name(&self) -> &'static str {
            "flaky"
        }
        fn display_name(&self) -> &'static str {
            "Flaky"
        }
        async fn list(&self, dir: &CloudPath, c: Option<&str>) -> Result<Page, SourceError> {
            self.inner.list(dir, c).await
        }
        async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
            let mut d = self.inner.open(path, from).await?;
            let left = self.breaks.load(Ordering::SeqCst);
            if left > 0 {
                self.breaks.store(left - 1, Ordering::SeqCst);
                let bytes: Vec<Bytes> = d.body.try_collect().await.unwrap();
                let all = bytes.concat();
                let head = Bytes::copy_from_slice(&all[..self.cut.min(all.len())]);
                let broken: Vec<Result<Bytes, std::io::Error>> =
                    vec![Ok(head), Err(std::io::Error::other("connection reset"))];
                d.body = Box::pin(futures_util::stream::iter(broken));
            }
            Ok(d)
        }
    }

    async fn import(breaks: u32) -> Result<Vec<u8>, std::io::Error> {
        let inner = MemorySource::new("flaky", "Flaky", 10);
        let data = crate::cloud::conformance::bytes_of(300_000, 3);
        inner.put("/f.bin", data.clone());
        let source: Arc<dyn Source> = Arc::new(Flaky {
            inner,
            cut: 70_001,
            breaks: AtomicU32::new(breaks),
        });
        let path = CloudPath::parse("/f.bin").unwrap();
        let first = source.open(&path, 0).await.unwrap();
        let got: Vec<Bytes> = resuming(source, path, first).try_collect().await?;
        assert!(got.concat() == data[..got.concat().len()]);
        Ok(got.concat())
    }

    #[tokio::test]
    async fn a_dropped_stream_resumes_where_it_stopped() {
        assert_eq!(import(0).await.unwrap().len(), 300_000);
        assert_eq!(import(MAX_RESUMES).await.unwrap().len(), 300_000);
        let e = import(MAX_RESUMES + 1).await.unwrap_err();
        assert!(e.to_string().contains("failed 4 times"), "{e}");
    }
}
