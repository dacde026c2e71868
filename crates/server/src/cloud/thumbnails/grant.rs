//! Thumbnail capabilities: what a listing puts in an item's thumbnail URL so that a browser's
//! `<img>` (which cannot send headers) can load the picture without the picker session's token,
//! which never goes in a URL. A [`Grant`] names the picker session by its internal id (never the
//! token or its hash), the app, the source, the item, and an expiry; it is sealed with the
//! token vault under its own context, so it is opaque, cannot be altered or made up, and opens
//! only on a server holding the key.
//!
//! A grant lives about 6 hours: long enough for a picker left open through a working morning
//! (rows scrolled into view long after the listing still load), short enough that a URL copied
//! out of the page, a proxy's log or the browser's history stops working the same day. Signing
//! out, or the session ending, cuts it off at once anyway: the server checks both at each use.
//!
//! Expiries are rounded to the hour, and grants are sealed with [`Vault::seal_stable`], so one
//! item listed again within the hour gets the very same URL and the browser's cache serves its
//! picture instead of asking again.

use super::super::CloudPath;
use super::super::vault::{Sealed, Vault};
use serde::{Deserialize, Serialize};

/// A grant's life, at most (ms).
pub const LIFETIME_MS: i64 = 6 * 3_600_000;

/// Expiries are rounded down to a multiple of this (ms), so a grant lives between
/// `LIFETIME_MS - STEP_MS` and `LIFETIME_MS`.
pub const STEP_MS: i64 = 3_600_000;

/// The vault context of grants (associated data): a sealed grant opens as nothing else, and
/// nothing else sealed by the vault opens as a grant.
const CONTEXT: &str = "thumbnail-grant|1";

/// Longer than any grant the server seals: refused before any work.
const MAX_LEN: usize = 4096;

/// What a thumbnail URL allows: one picture, of one item, for one picker session, until
/// `expires_at`. Field names are one letter: they ride in every thumbnail URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The picker session's internal id, for a source the person signed in to; none for the
    /// app owner's own sources, which need no session.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// The app key.
    #[serde(rename = "a")]
    pub app: String,
    /// The source, by the name the listing was asked for.
    #[serde(rename = "c")]
    pub source: String,
    /// `customsource`: the folder the listing treated as the root (`customSourcePath`).
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The item's path, as the listing gave it.
    #[serde(rename = "p")]
    pub path: String,
    /// What the source asked to get back ([`super::Preview::Made`]).
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Unix ms after which it is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

/// Why a capability was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Altered, made up, sealed under a key this server does not hold, or not a grant.
    #[error("the thumbnail link is not one this server gave")]
    Invalid,
    /// Past its expiry.
    #[error("the thumbnail link has expired; list the folder again")]
    Expired,
}

/// When a grant made at `now` expires.
pub fn expiry(now: i64) -> i64 {
    (now + LIFETIME_MS).div_euclid(STEP_MS) * STEP_MS
}

impl Grant {
    /// The capability: the grant sealed, URL-safe (`<key id>.<base64url>`).
    pub fn seal(&self, vault: &Vault) -> String {
        // Serialising a struct of strings and numbers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        vault.seal_stable(CONTEXT, &json).as_str().to_owned()
    }

    /// The grant a capability holds, if it is whole, this server's and still good at `now`.
    pub fn open(vault: &Vault, capability: &str, now: i64) -> Result<Self, GrantError> {
        if capability.is_empty() || capability.len() > MAX_LEN {
            return Err(GrantError::Invalid);
        }
        let raw = vault
            .open(CONTEXT, &Sealed::from_stored(capability.to_owned()))
            .map_err(|_| GrantError::Invalid)?;
        let grant: Self = serde_json::from_slice(&raw).map_err(|_| GrantError::Invalid)?;
        if now >= grant.expires_at {
            return Err(GrantError::Expired);
        }
        Ok(grant)
    }

    /// The item's path.
    pub fn path(&self) -> Result<CloudPath, GrantError> {
        CloudPath::parse(&self.path).map_err(|_| GrantError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn grant() -> Grant {
        Grant {
            session: Some("sess1d".into()),
            app: "app".into(),
            source: "dropbox".into(),
            root: None,
            path: "/Fotos/beach.jpg".into(),
            hint: None,
            expires_at: expiry(NOW),
        }
    }

    #[test]
    fn a_sealed_grant_opens_until_it_expires() {
        let vault = Vault::new(&[5; 32], &[]);
        let cap = grant().seal(&vault);
        assert!(
            cap.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "URL-safe: {cap}"
        );
        for secret in ["sess1d", "beach", "dropbox", "app"] {
            assert!(!cap.contains(secret), "{secret} shows in {cap}");
        }
        assert_eq!(Grant::open(&vault, &cap, NOW), Ok(grant()));
        let life = grant().expires_at - NOW;
        assert!(
            (LIFETIME_MS - STEP_MS..=LIFETIME_MS).contains(&life),
            "{life}"
        );
        assert_eq!(
            Grant::open(&vault, &cap, grant().expires_at),
            Err(GrantError::Expired)
        );
        assert_eq!(grant().path().unwrap().as_str(), "/Fotos/beach.jpg");
    }

    #[test]
    fn the_same_item_within_the_hour_gets_the_same_capability() {
        let vault = Vault::new(&[5; 32], &[]);
        let at = |now: i64| {
            Grant {
                expires_at: expiry(now),
                ..grant()
            }
            .seal(&vault)
        };
        let start = NOW - NOW.rem_euclid(STEP_MS);
        assert_eq!(at(start), at(start + STEP_MS - 1));
        assert_ne!(at(start), at(start + STEP_MS));
        let other_session = Grant {
            session: Some("other".into()),
            ..grant()
        };
        assert_ne!(other_session.seal(&vault), grant().seal(&vault));
    }

    #[test]
    fn altered_foreign_and_made_up_capabilities_are_refused() {
        let vault = Vault::new(&[5; 32], &[]);
        let cap = grant().seal(&vault);
        let mut flipped = cap.clone().into_bytes();
        let last = flipped.len() - 2;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        let foreign = Vault::new(&[6; 32], &[]);
        let bad = [
            flipped,
            grant().seal(&foreign),
            String::new(),
            "nodot".into(),
            format!("{}.AAAA", vault.current_key_id()),
            "x".repeat(MAX_LEN + 1),
            // Something else the vault sealed, moved here.
            vault.seal("cursor|s|dropbox|/", b"{}").as_str().to_owned(),
            // A sealed value that is not a grant.
            vault.seal_stable(CONTEXT, b"[1,2]").as_str().to_owned(),
        ];
        for b in &bad {
            assert_eq!(Grant::open(&vault, b, NOW), Err(GrantError::Invalid), "{b}");
        }
        // A rotated key still opens what the old one sealed.
        let rotated = Vault::new(&[6; 32], &[[5; 32]]);
        assert!(Grant::open(&rotated, &cap, NOW).is_ok());
    }
}
