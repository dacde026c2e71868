//! A picked whole folder: when its upload starts, its files are listed (the folder and every
//! folder below it, page by page, filtered by the server with the picker's `accept`) and take
//! its place in the selection (`Action::Expanded`), where each meets the picker's rules and joins
//! the upload. A folder holding more files than may be picked fails as a whole, with a sentence
//! saying so, rather than importing an arbitrary part of it.

use super::Setup;
use super::cloud::list;
use crate::model::cloud::CloudSource;
use crate::model::cloud::wire::{CloudItem, Listing};
use crate::model::failure::{self, Failure};
use std::collections::VecDeque;

/// The most files one picked folder may add, whatever `maxFiles` allows: listing more would
/// take long and fill the list beyond use.
pub(crate) const FOLDER_LIMIT: usize = 1_000;

/// The most folders listed below a picked one (a guard against loops some WebDAV servers make
/// with links).
const FOLDERS_LIMIT: usize = 500;

/// The files in `path` of `source` and below, at most `limit` of them.
pub(crate) async fn files_in(
    setup: &Setup,
    source: CloudSource,
    path: String,
    limit: usize,
) -> Result<Vec<CloudItem>, Failure> {
    let too_many = || {
        Failure::local(
            Some(failure::FOLDER_TOO_LARGE),
            format!("the folder {path} holds more than {limit} files that may be picked"),
        )
    };
    let mut folders = VecDeque::from([path.clone()]);
    let mut seen = vec![path.clone()];
    let mut files = Vec::new();
    while let Some(folder) = folders.pop_front() {
        let mut next = None;
        loop {
            let page = match list(setup, source, &folder, next.take().as_deref(), None).await? {
                Listing::Page(p) => p,
                Listing::SignIn(_) => {
                    return Err(Failure::local(
                        Some("source_not_connected"),
                        format!("listing {folder}: the picker is no longer signed in"),
                    ));
                }
            };
            for item in page.items {
                if !item.folder {
                    files.push(item);
                } else if !seen.contains(&item.path) {
                    if seen.len() >= FOLDERS_LIMIT {
                        return Err(too_many());
                    }
                    seen.push(item.path.clone());
                    folders.push_back(item.path);
                }
            }
            if files.len() > limit {
                return Err(too_many());
            }
            match page.next {
                Some(n) => next = Some(n),
                None => break,
            }
        }
    }
    if files.is_empty() {
        return Err(Failure::local(
            Some(failure::FOLDER_EMPTY),
            format!("the folder {path} holds no file that may be picked"),
        ));
    }
    Ok(files)
}
