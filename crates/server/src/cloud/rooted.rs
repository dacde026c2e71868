//! A source seen from one of its folders: what Filestack's `customSourcePath` asks of the owner's
//! bucket (the picker shows that folder as the root). Paths going in are put under the folder,
//! paths coming out are taken back off it, so the client never sees or reaches above it.

use super::{CloudItem, CloudPath, Download, Page, Source, SourceError, Thumbnail};
use async_trait::async_trait;
use std::sync::Arc;

/// `inner` with `root` (a folder path) as its root.
#[derive(Debug)]
pub struct Rooted {
    inner: Arc<dyn Source>,
    root: CloudPath,
}

impl Rooted {
    /// `inner` seen from its folder `root`.
    pub fn new(inner: Arc<dyn Source>, root: CloudPath) -> Result<Self, String> {
        if !root.is_folder() {
            return Err(format!(
                "{root} is not a folder path (it must end with `/`)"
            ));
        }
        Ok(Self { inner, root })
    }

    fn inside(&self, path: &CloudPath) -> Result<CloudPath, SourceError> {
        let rest = path.as_str().trim_start_matches('/');
        CloudPath::parse(&format!("{}{rest}", self.root)).map_err(SourceError::Upstream)
    }

    fn outside(&self, path: &CloudPath) -> Result<CloudPath, SourceError> {
        let rest = path
            .as_str()
            .strip_prefix(self.root.as_str())
            .ok_or_else(|| {
                SourceError::Upstream(format!("{path} is outside the folder {}", self.root))
            })?;
        CloudPath::parse(&format!("/{rest}")).map_err(SourceError::Upstream)
    }
}

#[async_trait]
impl Source for Rooted {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn display_name(&self) -> &'static str {
        self.inner.display_name()
    }

    async fn list(&self, dir: &CloudPath, cursor: Option<&str>) -> Result<Page, SourceError> {
        let page = self.inner.list(&self.inside(dir)?, cursor).await?;
        let items = page
            .items
            .into_iter()
            .map(|i| {
                Ok(CloudItem {
                    path: self.outside(&i.path)?,
                    ..i
                })
            })
            .collect::<Result<Vec<_>, SourceError>>()?;
        Ok(Page {
            items,
            next: page.next,
            pick_url: page.pick_url,
        })
    }

    async fn open(&self, path: &CloudPath, from: u64) -> Result<Download, SourceError> {
        self.inner.open(&self.inside(path)?, from).await
    }

    async fn thumbnail(
        &self,
        path: &CloudPath,
        hint: Option<&str>,
    ) -> Result<Option<Thumbnail>, SourceError> {
        self.inner.thumbnail(&self.inside(path)?, hint).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::MemorySource;

    #[tokio::test]
    async fn a_folder_is_the_root_and_nothing_above_it_shows() {
        let m = MemorySource::new("memory", "Memory", 10);
        m.put("/secret.txt", b"no".to_vec());
        let m = Arc::new(m);
        crate::cloud::conformance::tree()
            .into_iter()
            .for_each(|(p, b)| m.put(&format!("/team{p}"), b));
        let rooted = Rooted::new(m, CloudPath::parse("/team/").unwrap()).unwrap();
        crate::cloud::conformance::run(&rooted).await;
        assert!(
            Rooted::new(
                Arc::new(MemorySource::new("m", "M", 1)),
                CloudPath::parse("/a").unwrap()
            )
            .is_err()
        );
    }
}
