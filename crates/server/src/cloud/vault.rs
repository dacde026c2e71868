//! Sealing secrets at rest: provider tokens, PKCE verifiers and list cursors are encrypted with
//! XChaCha20-Poly1305 under the server's vault key before they reach the state database or the
//! browser. Every seal binds its context (row identity and column, or what a cursor belongs to)
//! as associated data, so a ciphertext moved to another row, column or session fails to open.
//!
//! Keys rotate: the vault holds one current key (new seals) and any number of earlier ones (to
//! open what they sealed). A sealed value names its key by a short id, and a reader re-seals a
//! value found under an earlier key (see `Connections`), so old keys can be dropped once no row
//! names them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use std::fmt;

/// Bytes of a vault key.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// One 256-bit key and its id (the first 8 hex digits of its SHA-256).
#[derive(Clone)]
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(raw: &[u8; KEY_LEN]) -> Self {
        let id = hex::encode(&Sha256::digest(raw)[..4]);
        Self {
            id,
            cipher: XChaCha20Poly1305::new(raw.into()),
        }
    }
}

/// A secret sealed by the vault: `<key id>.<base64url(nonce ‖ ciphertext)>`, safe to store or
/// hand out (it says nothing without the key).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sealed(String);

impl Sealed {
    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A sealed value read back from storage.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    /// The id of the key that sealed it.
    pub fn key_id(&self) -> &str {
        self.0.split_once('.').map_or("", |(id, _)| id)
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({}..)", self.key_id())
    }
}

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed under a key this vault no longer (or never) had.
    #[error("sealed under the key {0}, which the vault does not hold")]
    UnknownKey(String),
    /// Damaged, or sealed for another context.
    #[error("the sealed value is damaged or belongs elsewhere")]
    Tampered,
}

/// Why a configured key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a vault key is 64 hex digits (32 random bytes, e.g. `openssl rand -hex 32`): {0}")]
pub struct BadKey(String);

/// Parses a key written as 64 hex digits.
pub fn parse_key(hex_key: &str) -> Result<[u8; KEY_LEN], BadKey> {
    let raw = hex::decode(hex_key.trim()).map_err(|e| BadKey(e.to_string()))?;
    raw.try_into()
        .map_err(|r: Vec<u8>| BadKey(format!("got {} bytes", r.len())))
}

/// The server's keys: one that seals, and earlier ones that still open.
#[derive(Clone)]
pub struct Vault {
    current: Key,
    earlier: Vec<Key>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("current", &self.current.id)
            .field(
                "earlier",
                &self.earlier.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Vault {
    /// A vault sealing with `current` and opening with it and `earlier`.
    pub fn new(current: &[u8; KEY_LEN], earlier: &[[u8; KEY_LEN]]) -> Self {
        Self {
            current: Key::new(current),
            earlier: earlier.iter().map(Key::new).collect(),
        }
    }

    /// The id new seals carry.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `secret` for `context` (the row and column, or whatever it must stay bound to).
    pub fn seal(&self, context: &str, secret: &[u8]) -> Sealed {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ct = self
            .current
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: context.as_bytes(),
                },
            )
            // Encryption fails only for inputs of ~256 GiB; a token is a few hundred bytes.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Sealed(format!(
            "{}.{}",
            self.current.id,
            URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Opens what [`Vault::seal`] sealed for the same `context`.
    pub fn open(&self, context: &str, sealed: &Sealed) -> Result<Vec<u8>, OpenError> {
        let (id, body) = sealed.0.split_once('.').ok_or(OpenError::Tampered)?;
        let key = std::iter::once(&self.current)
            .chain(&self.earlier)
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::UnknownKey(id.to_owned()))?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| OpenError::Tampered)?;
        if raw.len() < NONCE_LEN {
            return Err(OpenError::Tampered);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        key.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Tampered)
    }

    /// Opens a sealed text (tokens, verifiers, cursors are text).
    pub fn open_str(&self, context: &str, sealed: &Sealed) -> Result<String, OpenError> {
        String::from_utf8(self.open(context, sealed)?).map_err(|_| OpenError::Tampered)
    }

    /// Whether `sealed` should be sealed again under the current key.
    pub fn is_stale(&self, sealed: &Sealed) -> bool {
        sealed.key_id() != self.current.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_in_their_context_and_key() {
        let k1 = [1u8; 32];
        let k2 = [2u8; 32];
        let v1 = Vault::new(&k1, &[]);
        let s = v1.seal("s1|dropbox|access", b"tok");
        assert!(!s.as_str().contains("tok"));
        assert_eq!(v1.open("s1|dropbox|access", &s).unwrap(), b"tok");
        // Another row or column: refused.
        assert_eq!(v1.open("s2|dropbox|access", &s), Err(OpenError::Tampered));
        assert_eq!(v1.open("s1|dropbox|refresh", &s), Err(OpenError::Tampered));
        // Two seals of one value differ (fresh nonce).
        assert_ne!(v1.seal("c", b"x"), v1.seal("c", b"x"));
        // Rotation: the new vault opens the old seal and calls it stale; a vault without the
        // old key names the key it lacks.
        let v2 = Vault::new(&k2, &[k1]);
        assert_eq!(v2.open("s1|dropbox|access", &s).unwrap(), b"tok");
        assert!(v2.is_stale(&s));
        assert!(!v2.is_stale(&v2.seal("c", b"x")));
        let v3 = Vault::new(&k2, &[]);
        assert!(matches!(
            v3.open("s1|dropbox|access", &s),
            Err(OpenError::UnknownKey(_))
        ));
        // Damage is refused, not a panic.
        let mut bad = s.as_str().to_owned();
        bad.push('A');
        assert!(v1.open("s1|dropbox|access", &Sealed(bad)).is_err());
        assert!(v1.open("c", &Sealed("nodot".into())).is_err());
        assert!(
            v1.open("c", &Sealed(format!("{}.AA", v1.current_key_id())))
                .is_err()
        );
        assert!(format!("{s:?}").starts_with("Sealed("));
    }

    #[test]
    fn keys_are_64_hex_digits() {
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
    }
}
