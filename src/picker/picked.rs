//! The files the user picked, held while the picker is open (the `File`s, which the selection
//! cannot hold, and their preview URLs), and the new entries made from picked files and links.

use crate::model::cloud::CloudSource;
use crate::model::cloud::wire::CloudItem;
use crate::model::file_name;
use crate::model::selection::{EntryId, NewFile, Origin};
use skiff_engine::IdMap;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{File, Url};

/// Where a local file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Came {
    /// The user's device: the file buttons, a drop or a paste.
    Device,
    /// The app (`crop(files)`): perhaps a Blob the page holds in memory.
    App,
}

/// A picked local file, where it came from, and its preview URL (revoked when dropped).
#[derive(Debug)]
pub(crate) struct Picked {
    pub(crate) file: File,
    pub(crate) came: Came,
    pub(crate) thumb: Option<String>,
}

impl Drop for Picked {
    fn drop(&mut self) {
        if let Some(u) = &self.thumb {
            let _ = Url::revoke_object_url(u);
        }
    }
}

/// Picked files, by entry.
pub(crate) type Files = Rc<RefCell<IdMap<EntryId, Picked>>>;

/// The entry for a picked file, and the file with its preview (images only, unless `thumbnails`
/// is off).
pub(crate) fn local(id: EntryId, file: File, came: Came, thumbnails: bool) -> (NewFile, Picked) {
    let name = file.name();
    let mimetype = file_name::mimetype(&file.type_(), &name);
    let thumb = (thumbnails && mimetype.starts_with("image/"))
        .then(|| Url::create_object_url_with_blob(&file).ok())
        .flatten();
    let entry = NewFile {
        id,
        name,
        size: file.size() as u64,
        mimetype,
        origin: Origin::Local,
    };
    (entry, Picked { file, came, thumb })
}

/// The link in what the user typed (trimmed) and the file name it suggests (its last path
/// segment); `None` when the text is not an http(s) link.
pub(crate) fn link(text: &str) -> Option<(String, String)> {
    let url = text.trim();
    let valid = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > 10
        && !url.contains(char::is_whitespace);
    if !valid {
        return None;
    }
    let path = url.split(['?', '#']).next().unwrap_or("");
    let name = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("file");
    Some((url.to_owned(), name.to_owned()))
}

/// The entry for a link the server will fetch (its size is not known).
pub(crate) fn linked(id: EntryId, url: String, name: String) -> NewFile {
    let mimetype = file_name::mimetype("", &name);
    NewFile {
        id,
        name,
        size: 0,
        mimetype,
        origin: Origin::Url(url),
    }
}

/// The entry for a file of a cloud source, which the server imports.
pub(crate) fn cloud(id: EntryId, source: CloudSource, item: CloudItem) -> NewFile {
    NewFile {
        id,
        name: item.name,
        size: item.size,
        mimetype: item.mimetype,
        origin: Origin::Cloud(source, item.path),
    }
}
