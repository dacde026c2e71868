//! Part upload grants. `/multipart/upload` hands out a grant that names the upload, the part,
//! its size, offset and MD5, and an expiry, signed with the server's key; the PUT is accepted
//! only when the signature matches, so nobody can write bytes that no upload call asked for.

use crate::session::Slot;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// A part's grant (the `X-Skiff-Part` header, or a part URL's query).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PartQuery {
    /// The upload. Grants handed out with a URL per upload (`/multipart/part/{upload_id}`)
    /// have none: the URL names it. The signature covers the upload either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) upload: Option<String>,
    /// Part number.
    pub(crate) part: u32,
    /// Size.
    pub(crate) size: u64,
    /// Chunk offset (intelligent ingestion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) offset: Option<u64>,
    /// Base64url MD5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) md5: Option<String>,
    /// Expiry, unix ms.
    pub(crate) exp: i64,
    /// Signature.
    #[serde(default)]
    pub(crate) sig: String,
}

fn mac(key: &[u8], upload: &str, q: &PartQuery) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    let msg = format!(
        "{upload}\n{}\n{}\n{:?}\n{}\n{}",
        q.part,
        q.size,
        q.offset,
        q.md5.as_deref().unwrap_or(""),
        q.exp
    );
    m.update(msg.as_bytes());
    m
}

/// Builds the signed query for `slot` of `upload`, valid until `exp`.
pub(crate) fn sign(key: &[u8], upload: &str, slot: &Slot, exp: i64) -> PartQuery {
    let mut q = PartQuery {
        upload: Some(upload.to_owned()),
        part: slot.part,
        size: slot.size,
        offset: slot.offset,
        md5: slot.md5.map(|d| URL_SAFE_NO_PAD.encode(d)),
        exp,
        sig: String::new(),
    };
    q.sig = URL_SAFE_NO_PAD.encode(mac(key, upload, &q).finalize().into_bytes());
    q
}

/// Checks a query's signature and expiry at `now`; returns the slot it grants.
pub(crate) fn verify(
    key: &[u8],
    upload: &str,
    q: &PartQuery,
    now: i64,
) -> Result<Slot, &'static str> {
    let sig = URL_SAFE_NO_PAD
        .decode(&q.sig)
        .map_err(|_| "the signature is malformed")?;
    mac(key, upload, q)
        .verify_slice(&sig)
        .map_err(|_| "the URL was not issued by this server or was altered")?;
    if q.exp <= now {
        return Err("the URL expired; ask /multipart/upload for a new one");
    }
    let md5 = match &q.md5 {
        None => None,
        Some(m) => Some(
            URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or("the md5 is malformed")?,
        ),
    };
    Ok(Slot {
        part: q.part,
        size: q.size,
        offset: q.offset,
        md5,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let slot = Slot {
            part: 3,
            size: 10,
            offset: Some(4),
            md5: Some([7; 16]),
        };
        let q = sign(b"key", "up", &slot, 100);
        assert_eq!(verify(b"key", "up", &q, 99), Ok(slot));
        assert!(verify(b"key", "up", &q, 100).is_err());
        assert!(verify(b"key", "other", &q, 1).is_err());
        assert!(verify(b"other", "up", &q, 1).is_err());
        let bigger = PartQuery {
            size: 11,
            ..q.clone()
        };
        assert!(verify(b"key", "up", &bigger, 1).is_err());
        let moved = PartQuery {
            offset: None,
            ..q.clone()
        };
        assert!(verify(b"key", "up", &moved, 1).is_err());
        // The grant names its upload; the signature is the same as when the URL named it.
        assert_eq!(q.upload.as_deref(), Some("up"));
        let unnamed = PartQuery { upload: None, ..q };
        assert!(verify(b"key", "up", &unnamed, 1).is_ok());
    }
}
