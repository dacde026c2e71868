//! The cloud sources Skiff's picker offers, by their `fromSources` names (the Cloud API's
//! `clouds` keys, docs/protocol.md §7.1).

/// One cloud source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloudSource {
    /// Google Drive (OAuth).
    GoogleDrive,
    /// Google Photos, through Google's own picker page (OAuth).
    GooglePhotos,
    /// Dropbox (OAuth).
    Dropbox,
    /// Box (OAuth).
    Box,
    /// OneDrive, personal accounts (OAuth).
    OneDrive,
    /// OneDrive for Business (OAuth).
    OneDriveForBusiness,
    /// GitHub repositories (OAuth).
    GitHub,
    /// Unsplash photo search (the server's key).
    Unsplash,
    /// Filestack's name for the same image search.
    ImageSearch,
    /// The app owner's WebDAV server.
    WebDav,
    /// The app owner's S3-compatible bucket.
    CustomSource,
}

impl CloudSource {
    /// Every cloud source, in the order the docs list them.
    pub const ALL: [CloudSource; 11] = [
        CloudSource::GoogleDrive,
        CloudSource::GooglePhotos,
        CloudSource::Dropbox,
        CloudSource::Box,
        CloudSource::OneDrive,
        CloudSource::OneDriveForBusiness,
        CloudSource::GitHub,
        CloudSource::Unsplash,
        CloudSource::ImageSearch,
        CloudSource::WebDav,
        CloudSource::CustomSource,
    ];

    /// The name in `fromSources` and in the Cloud API.
    pub fn name(self) -> &'static str {
        match self {
            CloudSource::GoogleDrive => "googledrive",
            CloudSource::GooglePhotos => "googlephotos",
            CloudSource::Dropbox => "dropbox",
            CloudSource::Box => "box",
            CloudSource::OneDrive => "onedrive",
            CloudSource::OneDriveForBusiness => "onedriveforbusiness",
            CloudSource::GitHub => "github",
            CloudSource::Unsplash => "unsplash",
            CloudSource::ImageSearch => "imagesearch",
            CloudSource::WebDav => "webdav",
            CloudSource::CustomSource => "customsource",
        }
    }

    /// The source named `name`, if Skiff offers it.
    pub fn from_name(name: &str) -> Option<CloudSource> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What people read on its tab. Brand names stay as they are; the two generic names are
    /// picker strings (translated), and the app may rename the custom source
    /// (`customSourceName`).
    pub fn label(self) -> &'static str {
        match self {
            CloudSource::GoogleDrive => "Google Drive",
            CloudSource::GooglePhotos => "Google Photos",
            CloudSource::Dropbox => "Dropbox",
            CloudSource::Box => "Box",
            CloudSource::OneDrive => "OneDrive",
            CloudSource::OneDriveForBusiness => "OneDrive for Business",
            CloudSource::GitHub => "GitHub",
            CloudSource::Unsplash => "Unsplash",
            CloudSource::ImageSearch => "Image Search",
            CloudSource::WebDav => "WebDAV",
            CloudSource::CustomSource => "Custom Source",
        }
    }

    /// Whether a person signs in to it (its files are theirs); the others are the app owner's
    /// and answer at once.
    pub fn signs_in(self) -> bool {
        !matches!(
            self,
            CloudSource::Unsplash
                | CloudSource::ImageSearch
                | CloudSource::WebDav
                | CloudSource::CustomSource
        )
    }

    /// Whether it is searched rather than browsed: each search is a folder, `/<words>/`.
    pub fn searches(self) -> bool {
        matches!(self, CloudSource::Unsplash | CloudSource::ImageSearch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_is_found_by_its_name_and_only_by_it() {
        for s in CloudSource::ALL {
            assert_eq!(CloudSource::from_name(s.name()), Some(s));
        }
        for other in ["local_file_system", "url", "facebook", "GoogleDrive", ""] {
            assert_eq!(CloudSource::from_name(other), None, "{other}");
        }
    }

    #[test]
    fn owner_sources_need_no_sign_in_and_searches_are_told_apart() {
        let signs_in: Vec<_> = CloudSource::ALL
            .into_iter()
            .filter(|s| s.signs_in())
            .map(CloudSource::name)
            .collect();
        assert_eq!(
            signs_in,
            [
                "googledrive",
                "googlephotos",
                "dropbox",
                "box",
                "onedrive",
                "onedriveforbusiness",
                "github"
            ]
        );
        assert!(CloudSource::ImageSearch.searches() && !CloudSource::WebDav.searches());
    }
}
