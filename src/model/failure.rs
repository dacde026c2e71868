//! Why a file did not upload, kept as typed facts (the server's code and status, and the technical
//! message), and the short sentence a person reads in the picker for it. The technical message
//! names the request, status and code: apps get it in their callbacks and developers in the
//! console, but a person needs to know what happened and what to do, in their language. The
//! sentences are keys of [`crate::model::text::ENGLISH`], so they are translated like every other
//! picker string.

use skiff_engine::UploadError;
use skiff_protocol::ErrorReply;

/// A failed upload or link import.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The stable error code: the server's (`docs/protocol.md` §14), or one of the client-side
    /// codes below; none when the server could not be reached or gave no code.
    pub code: Option<String>,
    /// The HTTP status of the refusal, when there was an answer.
    pub status: Option<u16>,
    /// The technical message: which request failed, how, and the server's own words.
    pub detail: String,
}

/// Client-side code: the file the person picked can no longer be read from the device.
pub const FILE_UNAVAILABLE: &str = "file_unavailable";
/// Client-side code: a picked cloud folder holds more files than may be picked.
pub const FOLDER_TOO_LARGE: &str = "folder_too_large";
/// Client-side code: a picked cloud folder holds no file that may be picked.
pub const FOLDER_EMPTY: &str = "folder_empty";

/// What a person reads for a failure: a short sentence that says what went wrong and, where
/// there is one, what to do. One sentence per group of codes that call for the same action.
pub mod sentence {
    /// The link is on a private or local network.
    pub const PRIVATE_LINK: &str =
        "The link points to a private or local address, which the server is not allowed to fetch.";
    /// The server could not download the link.
    pub const LINK_FETCH: &str = "The server could not download the file from this link.";
    /// The bytes arrived damaged or incomplete.
    pub const DAMAGED: &str = "The file arrived damaged or incomplete. Please try again.";
    /// The upload session is unknown or expired.
    pub const EXPIRED: &str = "The upload took too long and expired. Please try again.";
    /// The app's key was refused.
    pub const API_KEY: &str = "This app is not allowed to upload here: its key was refused.";
    /// The app's security policy was refused or expired.
    pub const PERMISSION: &str =
        "The upload permission was refused or has expired. Reload the page and try again.";
    /// Too large for the server.
    pub const TOO_LARGE: &str = "The file is too large for the server.";
    /// The app's storage settings or tags were refused (by the server, or here before sending).
    pub const SETTINGS: &str = "This app's upload settings were not accepted.";
    /// The server is failing or overloaded.
    pub const SERVER_TROUBLE: &str = "The server is having trouble. Please try again later.";
    /// No answer: the connection dropped, or the file could not be read.
    pub const INTERRUPTED: &str = "The upload was interrupted: the connection dropped or the file could not be read. Please try again.";
    /// The picked file is gone from the device.
    pub const FILE_GONE: &str = "The file is no longer available on this device.";
    /// Anything else.
    pub const OTHER: &str = "The server refused the file.";
    /// The picker session is not signed in to the cloud source (any more).
    pub const SIGNED_OUT: &str = "You are signed out of this service. Sign in again and retry.";
    /// The cloud source asks to slow down.
    pub const RATE_LIMITED: &str = "The service is busy. Please wait a moment and try again.";
    /// The cloud source failed while the server read the file.
    pub const IMPORT_FAILED: &str =
        "The file could not be copied from this service. Please try again.";
    /// The cloud source refused the file.
    pub const SOURCE_REFUSED: &str = "The service refused to give this file.";
    /// The file is gone from the cloud source.
    pub const ITEM_GONE: &str = "The file is no longer there.";
    /// A picked folder holds more files than may be picked.
    pub const FOLDER_TOO_LARGE: &str =
        "This folder holds more files than can be picked. Pick a smaller folder or fewer files.";
    /// A picked folder holds nothing that may be picked.
    pub const FOLDER_EMPTY: &str = "This folder has no files that can be picked.";
}

impl Failure {
    /// A failure found on this side, before or without a server's answer.
    pub fn local(code: Option<&str>, detail: impl Into<String>) -> Failure {
        Failure {
            code: code.map(str::to_owned),
            status: None,
            detail: detail.into(),
        }
    }

    /// A refused request: `what` names it (`POST /store/`), `status` and `body` are the answer's
    /// (the server's code and message are read from it).
    pub fn refused(what: &str, status: u16, body: &str) -> Failure {
        let reply = ErrorReply::parse(body);
        Failure {
            detail: format!("{what} failed with {}", reply.describe(status)),
            status: Some(status),
            code: reply.code,
        }
    }

    /// The English key of the sentence a person reads.
    pub fn sentence(&self) -> &'static str {
        use sentence::*;
        match self.code.as_deref() {
            Some("url_not_allowed") => PRIVATE_LINK,
            Some("url_fetch_failed") => LINK_FETCH,
            Some(
                "md5_mismatch" | "size_mismatch" | "part_out_of_range" | "part_missing"
                | "incomplete_upload",
            ) => DAMAGED,
            Some("unknown_upload" | "upload_expired") => EXPIRED,
            Some("missing_api_key" | "invalid_api_key") => API_KEY,
            Some(
                "security_required" | "invalid_signature" | "invalid_policy" | "policy_expired"
                | "policy_denied" | "invalid_upload_url",
            ) => PERMISSION,
            Some("payload_too_large") => TOO_LARGE,
            Some("invalid_tags" | "invalid_path" | "unsupported_location" | "unknown_source") => {
                SETTINGS
            }
            Some("internal" | "timeout" | "state_unavailable" | "storage_unavailable") => {
                SERVER_TROUBLE
            }
            Some("source_not_connected" | "invalid_session") => SIGNED_OUT,
            Some("source_rate_limited") => RATE_LIMITED,
            Some("source_failed") => IMPORT_FAILED,
            Some("source_refused") => SOURCE_REFUSED,
            Some("source_item_not_found") => ITEM_GONE,
            Some(FILE_UNAVAILABLE) => FILE_GONE,
            Some(self::FOLDER_TOO_LARGE) => FOLDER_TOO_LARGE,
            Some(self::FOLDER_EMPTY) => FOLDER_EMPTY,
            Some(_) => OTHER,
            // No code: judge by the answer, or by its absence.
            None => match self.status {
                None => INTERRUPTED,
                Some(413) => TOO_LARGE,
                Some(401 | 403) => PERMISSION,
                Some(408 | 429 | 500..=599) => SERVER_TROUBLE,
                Some(_) => OTHER,
            },
        }
    }
}

impl From<UploadError> for Failure {
    fn from(e: UploadError) -> Failure {
        Failure {
            code: e.code,
            status: e.status,
            detail: e.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sentence::*;
    use super::*;

    fn answered(status: u16, code: Option<&str>) -> Failure {
        Failure {
            code: code.map(str::to_owned),
            status: Some(status),
            detail: "the POST /process request failed with HTTP …".into(),
        }
    }

    #[test]
    fn every_server_code_has_its_sentence() {
        // docs/protocol.md §14, and what a person can do about each.
        let table = [
            ("url_not_allowed", PRIVATE_LINK),
            ("url_fetch_failed", LINK_FETCH),
            ("md5_mismatch", DAMAGED),
            ("size_mismatch", DAMAGED),
            ("part_out_of_range", DAMAGED),
            ("part_missing", DAMAGED),
            ("incomplete_upload", DAMAGED),
            ("unknown_upload", EXPIRED),
            ("upload_expired", EXPIRED),
            ("missing_api_key", API_KEY),
            ("invalid_api_key", API_KEY),
            ("security_required", PERMISSION),
            ("invalid_signature", PERMISSION),
            ("invalid_policy", PERMISSION),
            ("policy_expired", PERMISSION),
            ("policy_denied", PERMISSION),
            ("invalid_upload_url", PERMISSION),
            ("payload_too_large", TOO_LARGE),
            ("invalid_tags", SETTINGS),
            ("invalid_path", SETTINGS),
            ("unsupported_location", SETTINGS),
            ("unknown_source", SETTINGS),
            ("source_rate_limited", RATE_LIMITED),
            ("source_failed", IMPORT_FAILED),
            ("source_refused", SOURCE_REFUSED),
            ("source_item_not_found", ITEM_GONE),
            ("source_not_connected", SIGNED_OUT),
            ("invalid_session", SIGNED_OUT),
            ("internal", SERVER_TROUBLE),
            ("state_unavailable", SERVER_TROUBLE),
            ("storage_unavailable", SERVER_TROUBLE),
            ("malformed_request", OTHER),
            ("missing_field", OTHER),
            ("empty_body", OTHER),
            ("invalid_field", OTHER),
            ("file_not_found", OTHER),
            ("not_found", OTHER),
            ("method_not_allowed", OTHER),
            ("range_not_satisfiable", OTHER),
            ("a_code_added_later", OTHER),
        ];
        for (code, want) in table {
            assert_eq!(answered(400, Some(code)).sentence(), want, "{code}");
        }
    }

    #[test]
    fn a_refusal_reads_the_servers_code_and_message() {
        let f = Failure::refused(
            "POST /store/",
            424,
            r#"{"error":{"code":"source_refused","message":"the source said no"}}"#,
        );
        assert_eq!(f.code.as_deref(), Some("source_refused"));
        assert_eq!(f.status, Some(424));
        assert_eq!(
            f.detail,
            "POST /store/ failed with HTTP 424 (source_refused): the source said no"
        );
        assert_eq!(f.sentence(), SOURCE_REFUSED);
    }

    #[test]
    fn without_a_code_the_status_or_its_absence_decides() {
        assert_eq!(answered(503, None).sentence(), SERVER_TROUBLE);
        assert_eq!(answered(429, None).sentence(), SERVER_TROUBLE);
        assert_eq!(answered(408, None).sentence(), SERVER_TROUBLE);
        assert_eq!(answered(413, None).sentence(), TOO_LARGE);
        assert_eq!(answered(403, None).sentence(), PERMISSION);
        assert_eq!(answered(400, None).sentence(), OTHER);
        assert_eq!(
            Failure::local(
                None,
                "network error: Failed to fetch (gave up after 11 tries)"
            )
            .sentence(),
            INTERRUPTED
        );
        assert_eq!(
            Failure::local(Some(FILE_UNAVAILABLE), "gone").sentence(),
            FILE_GONE
        );
    }

    #[test]
    fn an_engine_error_keeps_its_code_status_and_message() {
        let e = UploadError {
            request: None,
            status: Some(400),
            code: Some("invalid_tags".into()),
            message: "the start request failed with HTTP 400 (invalid_tags): …".into(),
        };
        let f = Failure::from(e);
        assert_eq!(f.code.as_deref(), Some("invalid_tags"));
        assert_eq!(f.status, Some(400));
        assert!(f.detail.starts_with("the start request failed"));
        assert_eq!(f.sentence(), SETTINGS);
    }
}
