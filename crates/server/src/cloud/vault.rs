//! Sealing secrets at rest: provider tokens, PKCE verifiers and list cursors are encrypted with
//! XChaCha20-Poly1305 under the server's vault key before they reach the state database or the
//! browser. Every seal binds its context (row identity and column, or what a cursor belongs to)
//! as associated data, so a ciphertext moved to another row, column or session fails to open.
//!
//! Keys rotate: the vault holds one current key (new seals) and any number of earlier ones (to
//! open what they sealed). A sealed value names its key by a short id, and a reader re-seals a
//! value found under an earlier key (see `Connections`), so old keys can be dropped once no row
//! names them.
//!
//! Most seals take a random nonce, so sealing one value twice gives two texts. Thumbnail
//! capabilities want the opposite ([`Vault::seal_stable`]): the same grant should give the same
//! URL, so a browser's cache recognises a picture it already has when a folder is listed again.

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
    /// Derives the nonces of stable seals; a key of its own (a hash of the raw key under a
    /// label), so the nonce function and the cipher never share a key.
    nonces: [u8; 32],
}

impl Key {
    fn new(raw: &[u8; KEY_LEN]) -> Self {
        let id = hex::encode(&Sha256::digest(raw)[..4]);
        let mut nonces = Sha256::new();
        nonces.update(b"skiff vault: stable nonces\0");
        nonces.update(raw);
        Self {
            id,
            cipher: XChaCha20Poly1305::new(raw.into()),
            nonces: nonces.finalize().into(),
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
        self.seal_with(rand::random(), context, secret)
    }

    /// Seals `secret` for `context` so that the same pair always gives the same text under the
    /// current key: the nonce is a keyed hash of both (a synthetic IV, as in SIV modes), so
    /// nonces repeat only where the whole input repeats. That tells whoever sees two seals that
    /// they hold the same value, and nothing else; use it only where that is wanted. [`Vault::open`]
    /// opens these as any other seal.
    pub fn seal_stable(&self, context: &str, secret: &[u8]) -> Sealed {
        use hmac::{KeyInit as _, Mac as _};
        let mut mac = match hmac::Hmac::<Sha256>::new_from_slice(&self.current.nonces) {
            Ok(m) => m,
            // HMAC takes a key of any length; a 32-byte one cannot be refused.
            Err(_) => return self.seal(context, secret),
        };
        // The context's length first, so (context, secret) pairs cannot run into each other.
        mac.update(&(context.len() as u64).to_be_bytes());
        mac.update(context.as_bytes());
        mac.update(secret);
        let tag = mac.finalize().into_bytes();
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&tag[..NONCE_LEN]);
        self.seal_with(nonce, context, secret)
    }

    fn seal_with(&self, nonce: [u8; NONCE_LEN], context: &str, secret: &[u8]) -> Sealed {
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
    fn stable_seals_repeat_only_for_the_same_input() {
        let v = Vault::new(&[1u8; 32], &[]);
        let a = v.seal_stable("thumbnail", b"grant");
        assert_eq!(a, v.seal_stable("thumbnail", b"grant"));
        assert_ne!(a, v.seal_stable("thumbnail", b"grant2"));
        assert_ne!(
            a,
            v.seal_stable("thumbnai", b"lgrant"),
            "context and secret kept apart"
        );
        assert_eq!(v.open("thumbnail", &a).unwrap(), b"grant");
        assert_eq!(v.open("other", &a), Err(OpenError::Tampered));
        // Another key: another text, and this vault cannot open it.
        let w = Vault::new(&[2u8; 32], &[]);
        assert_ne!(w.seal_stable("thumbnail", b"grant"), a);
        assert!(w.open("thumbnail", &a).is_err());
    }

    #[test]
    fn keys_are_64_hex_digits() {
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
    }
}
