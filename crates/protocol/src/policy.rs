//! Policies and signatures (docs/protocol.md §9).
//!
//! A policy is a JSON object, Base64-encoded; its signature is the lower-case hex HMAC-SHA256 of
//! the Base64 string *exactly as sent*, keyed with the app secret. filestack-js encodes with the
//! standard alphabet, filestack-python with the URL-safe one, so both are accepted.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A call a policy may allow (`call` in the policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Call {
    /// Open the picker and upload through it.
    Pick,
    /// Read (download) a file.
    Read,
    /// Read a file's metadata.
    Stat,
    /// Overwrite a file.
    Write,
    /// Overwrite a file from a URL.
    WriteUrl,
    /// Store a new file (uploads, store from URL).
    Store,
    /// Transform a file.
    Convert,
    /// Delete a file.
    Remove,
    /// Read EXIF data (never allowed implicitly).
    Exif,
    /// Run a workflow.
    RunWorkflow,
}

/// Why a policy or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The signature is not the HMAC of the policy with the app secret.
    #[error("the signature does not match the policy")]
    BadSignature,
    /// The policy is not Base64 of a JSON object of the documented shape.
    #[error("the policy cannot be read: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The policy's expiry is in the past.
    #[error("the policy expired at {expiry} (now is {now})")]
    Expired {
        /// The policy's expiry, in unix seconds.
        expiry: u64,
        /// The time of the check, in unix seconds.
        now: u64,
    },
    /// The policy does not allow the call.
    #[error("the policy does not allow the {call:?} call")]
    CallDenied {
        /// The call that was attempted.
        call: Call,
    },
    /// The policy is limited to another handle.
    #[error("the policy is limited to another file handle")]
    HandleDenied,
    /// The file is larger than the policy's `maxSize`.
    #[error("the file is {size} bytes; the policy allows at most {max}")]
    TooLarge {
        /// File size.
        size: u64,
        /// The policy's `maxSize`.
        max: u64,
    },
    /// The file is smaller than the policy's `minSize`.
    #[error("the file is {size} bytes; the policy requires at least {min}")]
    TooSmall {
        /// File size.
        size: u64,
        /// The policy's `minSize`.
        min: u64,
    },
    /// The storage path, container or source URL does not match the policy.
    #[error("the {field} {value:?} does not match the policy")]
    PatternDenied {
        /// `path`, `container` or `url`.
        field: &'static str,
        /// The value that was refused.
        value: String,
    },
}

/// A decoded policy. Unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    /// Unix seconds after which the policy is no longer valid.
    pub expiry: u64,
    /// Allowed calls; `None` allows every call but [`Call::Exif`].
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "calls"
    )]
    pub call: Option<Vec<Call>>,
    /// The only file handle the policy applies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Regular expression that source URLs must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Largest file that may be stored, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
    /// Smallest file that may be stored, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_size: Option<u64>,
    /// Regular expression that the storage path must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Regular expression that the storage container must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
}

/// `call` may be one name or a list of names.
fn calls<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Call>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Call),
        Many(Vec<Call>),
    }
    Ok(Option::<OneOrMany>::deserialize(d)?.map(|c| match c {
        OneOrMany::One(c) => vec![c],
        OneOrMany::Many(v) => v,
    }))
}

/// What a request wants to do, checked against a policy.
#[derive(Debug, Clone, Default)]
pub struct Access<'a> {
    /// The call.
    pub call: Option<Call>,
    /// Calls that would do as well as `call` (uploads accept `pick` or `store`).
    pub alternatives: &'a [Call],
    /// The file handle the request is about.
    pub handle: Option<&'a str>,
    /// The size of the file to store.
    pub size: Option<u64>,
    /// The storage path.
    pub path: Option<&'a str>,
    /// The storage container.
    pub container: Option<&'a str>,
    /// The source URL to fetch.
    pub url: Option<&'a str>,
}

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// The signature of `policy_b64` with `secret`: lower-case hex HMAC-SHA256.
pub fn sign(secret: &str, policy_b64: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(policy_b64.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks `signature` against `policy_b64` in constant time and decodes the policy.
pub fn verify(secret: &str, policy_b64: &str, signature: &str) -> Result<Policy, PolicyError> {
    let sig = hex::decode(signature.trim()).map_err(|_| PolicyError::BadSignature)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(policy_b64.as_bytes());
    mac.verify_slice(&sig)
        .map_err(|_| PolicyError::BadSignature)?;
    Policy::decode(policy_b64)
}

impl Policy {
    /// Decodes a Base64 policy in either alphabet, with or without padding.
    pub fn decode(policy_b64: &str) -> Result<Policy, PolicyError> {
        let trimmed = policy_b64.trim();
        let bytes = if trimmed.contains(['-', '_']) {
            URL_SAFE_LENIENT.decode(trimmed)
        } else {
            STANDARD_LENIENT.decode(trimmed)
        }
        .map_err(|e| PolicyError::Malformed {
            reason: format!("not Base64 ({e})"),
        })?;
        let policy: Policy =
            serde_json::from_slice(&bytes).map_err(|e| PolicyError::Malformed {
                reason: format!("not a valid policy object ({e})"),
            })?;
        for (field, pattern) in [
            ("path", &policy.path),
            ("container", &policy.container),
            ("url", &policy.url),
        ] {
            if let Some(p) = pattern {
                anchored(p).map_err(|e| PolicyError::Malformed {
                    reason: format!("{field} is not a valid pattern ({e})"),
                })?;
            }
        }
        Ok(policy)
    }

    /// Encodes the policy as URL-safe Base64 of its JSON (what the docs ask clients to send).
    pub fn encode(&self) -> String {
        general_purpose::URL_SAFE
            .encode(serde_json::to_vec(self).expect("a policy always serializes"))
    }

    /// Checks `access` against the policy at `now` (unix seconds).
    pub fn check(&self, access: &Access<'_>, now: u64) -> Result<(), PolicyError> {
        if now >= self.expiry {
            return Err(PolicyError::Expired {
                expiry: self.expiry,
                now,
            });
        }
        if let Some(call) = access.call {
            let allowed = |c: Call| match &self.call {
                Some(list) => list.contains(&c),
                None => c != Call::Exif,
            };
            if !allowed(call) && !access.alternatives.iter().any(|c| allowed(*c)) {
                return Err(PolicyError::CallDenied { call });
            }
        }
        if let (Some(want), Some(got)) = (&self.handle, access.handle) {
            if want != got {
                return Err(PolicyError::HandleDenied);
            }
        }
        if let Some(size) = access.size {
            if let Some(max) = self.max_size.filter(|max| size > *max) {
                return Err(PolicyError::TooLarge { size, max });
            }
            if let Some(min) = self.min_size.filter(|min| size < *min) {
                return Err(PolicyError::TooSmall { size, min });
            }
        }
        for (field, pattern, value) in [
            ("path", &self.path, access.path),
            ("container", &self.container, access.container),
            ("url", &self.url, access.url),
        ] {
            // A pattern only limits requests that are about that field.
            if let (Some(pattern), Some(value)) = (pattern, value) {
                let re = anchored(pattern).map_err(|e| PolicyError::Malformed {
                    reason: e.to_string(),
                })?;
                if !re.is_match(value) {
                    return Err(PolicyError::PatternDenied {
                        field,
                        value: value.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Policy patterns must match the whole value.
fn anchored(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret";

    fn signed(json: &str, engine: &GeneralPurpose) -> (String, String) {
        let p = engine.encode(json);
        let s = sign(SECRET, &p);
        (p, s)
    }

    #[test]
    fn both_alphabets_verify() {
        // A policy whose Base64 differs between alphabets ('?' encodes to '/' or '_').
        let json = r#"{"expiry": 4102444800, "path": "up/.*???"}"#;
        for engine in [
            &general_purpose::STANDARD,
            &general_purpose::URL_SAFE,
            &general_purpose::URL_SAFE_NO_PAD,
        ] {
            let (p, s) = signed(json, engine);
            let policy = verify(SECRET, &p, &s).unwrap();
            assert_eq!(policy.expiry, 4_102_444_800);
        }
    }

    #[test]
    fn signature_is_over_the_string_as_sent() {
        let (p, s) = signed(r#"{"expiry": 10}"#, &general_purpose::STANDARD);
        assert_eq!(verify("other", &p, &s), Err(PolicyError::BadSignature));
        assert_eq!(verify(SECRET, &p, "zz"), Err(PolicyError::BadSignature));
        let (p2, _) = signed(r#"{"expiry":10}"#, &general_purpose::STANDARD);
        assert_eq!(verify(SECRET, &p2, &s), Err(PolicyError::BadSignature));
    }

    #[test]
    fn malformed() {
        let (p, s) = signed("not json", &general_purpose::STANDARD);
        assert!(matches!(
            verify(SECRET, &p, &s),
            Err(PolicyError::Malformed { .. })
        ));
        let (p, s) = signed(
            r#"{"expiry": 1, "call": ["fly"]}"#,
            &general_purpose::STANDARD,
        );
        assert!(matches!(
            verify(SECRET, &p, &s),
            Err(PolicyError::Malformed { .. })
        ));
    }

    #[test]
    fn checks() {
        let policy = Policy {
            expiry: 100,
            call: Some(vec![Call::Pick, Call::Stat]),
            max_size: Some(10),
            min_size: Some(2),
            path: Some("uploads/.*".into()),
            handle: Some("abc".into()),
            ..Policy::default()
        };
        let store = |size, path| Access {
            call: Some(Call::Store),
            alternatives: &[Call::Pick],
            size: Some(size),
            path: Some(path),
            ..Access::default()
        };
        assert_eq!(policy.check(&store(5, "uploads/a.txt"), 99), Ok(()));
        assert_eq!(
            policy.check(&store(5, "uploads/a.txt"), 100),
            Err(PolicyError::Expired {
                expiry: 100,
                now: 100
            })
        );
        assert_eq!(
            policy.check(&store(11, "uploads/a"), 1),
            Err(PolicyError::TooLarge { size: 11, max: 10 })
        );
        assert_eq!(
            policy.check(&store(1, "uploads/a"), 1),
            Err(PolicyError::TooSmall { size: 1, min: 2 })
        );
        assert!(matches!(
            policy.check(&store(5, "x/uploads/a"), 1),
            Err(PolicyError::PatternDenied { field: "path", .. })
        ));
        let remove = Access {
            call: Some(Call::Remove),
            handle: Some("abc"),
            ..Access::default()
        };
        assert_eq!(
            policy.check(&remove, 1),
            Err(PolicyError::CallDenied { call: Call::Remove })
        );
        let stat = |h| Access {
            call: Some(Call::Stat),
            handle: Some(h),
            ..Access::default()
        };
        assert_eq!(policy.check(&stat("abc"), 1), Ok(()));
        assert_eq!(
            policy.check(&stat("abd"), 1),
            Err(PolicyError::HandleDenied)
        );
        // No `call` allows everything but exif.
        let open = Policy {
            expiry: 100,
            ..Policy::default()
        };
        assert_eq!(open.check(&remove, 1), Ok(()));
        let exif = Access {
            call: Some(Call::Exif),
            ..Access::default()
        };
        assert_eq!(
            open.check(&exif, 1),
            Err(PolicyError::CallDenied { call: Call::Exif })
        );
    }

    #[test]
    fn encode_round_trips() {
        let policy = Policy {
            expiry: 42,
            call: Some(vec![Call::RunWorkflow]),
            ..Policy::default()
        };
        assert_eq!(Policy::decode(&policy.encode()).unwrap(), policy);
    }
}
