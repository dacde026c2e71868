//! Upload tags (docs/protocol.md §5): string key/value pairs that travel with an upload to the
//! complete response, the file's metadata and the upload webhook.
//!
//! Rules (filestack-python's, which filestack-js documents but does not enforce): at most
//! [`MAX_TAGS`] tags, unique keys of at most [`MAX_TAG_KEY_CHARS`] and values of at most
//! [`MAX_TAG_VALUE_CHARS`] Unicode characters, strings only. Keys must not be empty.
//!
//! On the wire tags are a JSON object; the array-of-strings form that filestack-go sends is
//! accepted too, each entry read as `key:value` (or `key=value`; a bare `key` has an empty value).

use crate::limits::{MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, MAX_TAGS};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a set of tags was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TagError {
    /// More than [`MAX_TAGS`] tags.
    #[error("at most {max} upload tags are allowed, got {count}")]
    TooMany {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The same key twice.
    #[error("upload tag key \"{key}\" appears more than once")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// An empty key.
    #[error("upload tag keys must not be empty")]
    EmptyKey,
    /// A key over [`MAX_TAG_KEY_CHARS`] characters.
    #[error("upload tag key \"{key}\"… is {chars} characters long; at most {max} are allowed")]
    KeyTooLong {
        /// The first characters of the key.
        key: String,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// A value over [`MAX_TAG_VALUE_CHARS`] characters.
    #[error("upload tag \"{key}\" has a value {chars} characters long; at most {max} are allowed")]
    ValueTooLong {
        /// The tag's key.
        key: String,
        /// The value's length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
}

/// An ordered set of upload tags. Order is kept as given, so echoes match what was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadTags(Vec<(String, String)>);

impl UploadTags {
    /// No tags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds tags from pairs, without validating them (see [`UploadTags::validate`]).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// Number of tags.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no tags.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Checks every tag rule; the first broken rule is reported.
    pub fn validate(&self) -> Result<(), TagError> {
        if self.0.len() > MAX_TAGS {
            return Err(TagError::TooMany {
                count: self.0.len(),
                max: MAX_TAGS,
            });
        }
        for (i, (key, value)) in self.0.iter().enumerate() {
            if key.is_empty() {
                return Err(TagError::EmptyKey);
            }
            let key_chars = key.chars().count();
            if key_chars > MAX_TAG_KEY_CHARS {
                return Err(TagError::KeyTooLong {
                    key: key.chars().take(32).collect(),
                    chars: key_chars,
                    max: MAX_TAG_KEY_CHARS,
                });
            }
            let value_chars = value.chars().count();
            if value_chars > MAX_TAG_VALUE_CHARS {
                return Err(TagError::ValueTooLong {
                    key: key.clone(),
                    chars: value_chars,
                    max: MAX_TAG_VALUE_CHARS,
                });
            }
            if self.0[..i].iter().any(|(k, _)| k == key) {
                return Err(TagError::DuplicateKey { key: key.clone() });
            }
        }
        Ok(())
    }
}

impl Serialize for UploadTags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for UploadTags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TagsVisitor)
    }
}

struct TagsVisitor;

/// A tag value as it may arrive: only strings are accepted, anything else is named in the error.
struct TagValue(String);

impl<'de> Deserialize<'de> for TagValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TagValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TagValue, E> {
                Ok(TagValue(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Visitor<'de> for TagsVisitor {
    type Value = UploadTags;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of string keys to string values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UploadTags, A::Error> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<TagValue>().map_err(|_| {
                de::Error::custom(format!("upload tag \"{key}\" must have a string value"))
            })?;
            if pairs.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(TagError::DuplicateKey { key }));
            }
            pairs.push((key, value.0));
        }
        Ok(UploadTags(pairs))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UploadTags, A::Error> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(entry) = seq.next_element::<TagValue>()? {
            let entry = entry.0;
            let (k, v) = match entry.find([':', '=']) {
                Some(i) => (entry[..i].to_owned(), entry[i + 1..].to_owned()),
                None => (entry, String::new()),
            };
            if pairs.iter().any(|(key, _)| *key == k) {
                return Err(de::Error::custom(TagError::DuplicateKey { key: k }));
            }
            pairs.push((k, v));
        }
        Ok(UploadTags(pairs))
    }

    fn visit_unit<E: de::Error>(self) -> Result<UploadTags, E> {
        Ok(UploadTags::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<UploadTags, String> {
        serde_json::from_str::<UploadTags>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn object_form_keeps_order() {
        let t = parse(r#"{"b":"2","a":"1"}"#).unwrap();
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![("b", "2"), ("a", "1")]);
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"b":"2","a":"1"}"#);
    }

    #[test]
    fn array_form() {
        let t = parse(r#"["a:1","b=x:y","c"]"#).unwrap();
        assert_eq!(
            t.iter().collect::<Vec<_>>(),
            vec![("a", "1"), ("b", "x:y"), ("c", "")]
        );
    }

    #[test]
    fn refusals() {
        let cases: &[(&str, &str)] = &[
            (r#"{"a":1}"#, "must have a string value"),
            (r#"{"a":null}"#, "must have a string value"),
            (r#"{"a":"1","a":"2"}"#, "more than once"),
            (r#"["a:1","a:2"]"#, "more than once"),
            (r#""text""#, "an object"),
        ];
        for (json, want) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(want), "{json}: {err}");
        }
    }

    #[test]
    fn limits() {
        let ok = UploadTags::from_pairs((0..10).map(|i| (format!("k{i}"), "v")));
        assert!(ok.validate().is_ok());
        let many = UploadTags::from_pairs((0..11).map(|i| (format!("k{i}"), "v")));
        assert_eq!(
            many.validate(),
            Err(TagError::TooMany { count: 11, max: 10 })
        );
        // Limits count Unicode characters, not bytes.
        let key = "é".repeat(128);
        assert!(
            UploadTags::from_pairs([(key.clone(), "ü".repeat(256))])
                .validate()
                .is_ok()
        );
        assert!(matches!(
            UploadTags::from_pairs([(format!("{key}x"), "v")]).validate(),
            Err(TagError::KeyTooLong { chars: 129, .. })
        ));
        assert!(matches!(
            UploadTags::from_pairs([("k", "v".repeat(257))]).validate(),
            Err(TagError::ValueTooLong { chars: 257, .. })
        ));
        assert_eq!(
            UploadTags::from_pairs([("", "v")]).validate(),
            Err(TagError::EmptyKey)
        );
    }
}
