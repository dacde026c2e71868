//! One reader for every options object apps pass (client, upload, store and picker options): typed
//! getters that name the option by its full path (`uploadConfig.partSize`, `storeTo.path`) when a
//! value is refused, and unknown keys found by what was not read, so a new option needs one getter
//! call and no second list of known keys.
//!
//! Written by hand rather than with serde's derive: the derived readers cost kilobytes of wasm
//! each and their messages say less (what the option must be and what it got).
//!
//! `null` counts as absent everywhere, as `undefined` does in JS (`JSON.stringify` drops it).

use serde_json::{Map, Value};

/// A refused option, as the JS `Error` message reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionsError(pub String);

/// One options object being read: the keys asked for so far, and where it sits.
#[derive(Debug)]
pub struct Reader<'a> {
    /// `None` for an absent object: every getter then gives its default.
    map: Option<&'a Map<String, Value>>,
    /// Which options these are, as messages name them: "upload", "picker", …
    root: &'static str,
    /// The path of this object under the root (empty at the root itself).
    path: String,
    /// Every key a getter asked for, present or not: what is known here.
    seen: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    /// Reads the `root` options object `value` (`null`: all defaults) with `read`, then refuses
    /// any key `read` did not ask for.
    pub fn root<T>(
        root: &'static str,
        value: &'a Value,
        read: impl FnOnce(&mut Reader<'a>) -> Result<T, OptionsError>,
    ) -> Result<T, OptionsError> {
        let map = match value {
            Value::Null => None,
            Value::Object(m) => Some(m),
            other => {
                return Err(OptionsError(format!(
                    "Invalid {root} options: must be an object; got {}",
                    shown(other)
                )));
            }
        };
        Reader {
            map,
            root,
            path: String::new(),
            seen: Vec::new(),
        }
        .run(read)
    }

    fn run<T>(
        mut self,
        read: impl FnOnce(&mut Reader<'a>) -> Result<T, OptionsError>,
    ) -> Result<T, OptionsError> {
        let out = read(&mut self)?;
        self.finish()?;
        Ok(out)
    }

    /// The full path of `key`, as messages name it.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// "Invalid picker option `storeTo.access`: {reason}".
    pub fn invalid(&self, key: &str, reason: impl std::fmt::Display) -> OptionsError {
        OptionsError(format!(
            "Invalid {} option `{}`: {reason}",
            self.root,
            self.path_of(key)
        ))
    }

    /// `key`'s value (absent or `null`: `None`), marked as read.
    pub fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        if !self.seen.contains(&key) {
            self.seen.push(key);
        }
        self.map?.get(key).filter(|v| !v.is_null())
    }

    /// Accepted for compatibility, with no effect.
    pub fn skip(&mut self, key: &'static str) {
        self.get(key);
    }

    /// Refuses the first of `keys` that is present: options Skiff knows of but does not offer.
    pub fn unsupported(&self, keys: &[&str]) -> Result<(), OptionsError> {
        match self.present().find(|k| keys.contains(k)) {
            Some(k) => Err(OptionsError(format!(
                "The {} option `{}` is not supported by Skiff yet",
                self.root,
                self.path_of(k)
            ))),
            None => Ok(()),
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self, key: &'static str) -> Result<Option<bool>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.invalid(key, got("must be true or false", v))),
        }
    }

    /// `true` or `false`, `default` when absent.
    pub fn flag(&mut self, key: &'static str, default: bool) -> Result<bool, OptionsError> {
        Ok(self.bool(key)?.unwrap_or(default))
    }

    /// A whole number from `min` to `max` (`u64::MAX`: no upper bound); `unit` ("bytes", "ms"
    /// or "") says what it counts.
    pub fn whole(
        &mut self,
        key: &'static str,
        min: u64,
        max: u64,
        unit: &str,
    ) -> Result<Option<u64>, OptionsError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match whole_of(v) {
            Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => {
                let of = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" of {unit}")
                };
                let range = if max == u64::MAX {
                    format!("at least {min}")
                } else {
                    format!("{min} to {max}")
                };
                Err(self.invalid(key, got(&format!("must be a whole number{of}, {range}"), v)))
            }
        }
    }

    /// Any number.
    pub fn number(&mut self, key: &'static str) -> Result<Option<f64>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.invalid(key, got("must be a number", v))),
        }
    }

    /// A string.
    pub fn string(&mut self, key: &'static str) -> Result<Option<&'a str>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| self.invalid(key, got("must be a string", v))),
        }
    }

    /// A string, or a list of strings (a single string is a list of one).
    pub fn strings(&mut self, key: &'static str) -> Result<Option<Vec<&'a str>>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.as_str()])),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    v.as_str().ok_or_else(|| {
                        self.invalid(key, got(&format!("entry {i} must be a string"), v))
                    })
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(v) => Err(self.invalid(key, got("must be a string or a list of strings", v))),
        }
    }

    /// One of `choices` (compared exactly), as its index.
    pub fn choice(
        &mut self,
        key: &'static str,
        choices: &[&str],
    ) -> Result<Option<usize>, OptionsError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v
            .as_str()
            .and_then(|s| choices.iter().position(|c| *c == s))
        {
            Some(i) => Ok(Some(i)),
            None => Err(self.invalid(key, got(&format!("must be {}", one_of(choices)), v))),
        }
    }

    /// An object of strings (free-form keys), in its order.
    pub fn text_pairs(
        &mut self,
        key: &'static str,
    ) -> Result<Option<Vec<(String, String)>>, OptionsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(s) => Ok((k.clone(), s.to_owned())),
                    None => Err(self.invalid(
                        key,
                        got(&format!("the text for \"{k}\" must be a string"), v),
                    )),
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(v) => Err(self.invalid(key, got("must be an object of strings", v))),
        }
    }

    /// Reads the object under `key` with `read` (absent: an empty object, so `read` gives its
    /// defaults), then refuses the keys `read` did not ask for, named by their full path.
    pub fn nested<T>(
        &mut self,
        key: &'static str,
        read: impl FnOnce(&mut Reader<'a>) -> Result<T, OptionsError>,
    ) -> Result<T, OptionsError> {
        let map = match self.get(key) {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(v) => return Err(self.invalid(key, got("must be an object", v))),
        };
        Reader {
            map,
            root: self.root,
            path: self.path_of(key),
            seen: Vec::new(),
        }
        .run(read)
    }

    fn present(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.map
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }

    /// Refuses the first key no getter asked for, with the likely intended key or the valid ones.
    fn finish(self) -> Result<(), OptionsError> {
        let Some(key) = self.present().find(|k| !self.seen.contains(k)) else {
            return Ok(());
        };
        let closest = self
            .seen
            .iter()
            .filter_map(|k| Some((misspelling(key, k)?, k)))
            .min_by_key(|(d, _)| *d);
        let hint = match closest {
            Some((_, k)) => format!("; did you mean `{k}`?"),
            None if self.seen.len() <= 8 => format!("; valid keys: {}", self.seen.join(", ")),
            None => String::new(),
        };
        Err(OptionsError(format!(
            "Unknown {} option `{}`{hint}",
            self.root,
            self.path_of(key)
        )))
    }
}

/// "{reason}; got {value}".
pub fn got(reason: &str, value: &Value) -> String {
    format!("{reason}; got {}", shown(value))
}

/// `"a", "b" or "c"`.
pub fn one_of(choices: &[&str]) -> String {
    let mut out = String::new();
    for (i, c) in choices.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == choices.len() { " or " } else { ", " });
        }
        out.push('"');
        out.push_str(c);
        out.push('"');
    }
    out
}

/// A JSON number that is a whole number ≥ 0 (`1e3` too).
fn whole_of(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..1.8e19).contains(f))
            .map(|f| f as u64)
    })
}

/// A value for a message: numbers, short strings and booleans as they are, other things described.
pub fn shown(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(u)) => u.to_string(),
            (None, None) => shown_number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) if s.chars().count() > 40 => {
            format!("\"{}…\"", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// A number for a message. Integers print exactly; anything else is described, which keeps
/// Rust's float formatting (about 5 KB of wasm) out of the module.
pub fn shown_number(v: f64) -> String {
    if !v.is_finite() {
        "not a finite number".into()
    } else if v.abs() >= 1e15 {
        "a very large number".into()
    } else if v.fract() == 0.0 {
        (v as i64).to_string()
    } else {
        format!("{} and a fraction", v.trunc() as i64)
    }
}

/// How far an unknown key is from `known`, if it is likely a misspelling of it: the same but for
/// case (0), or one letter added, dropped or changed (two for keys of six letters or more).
/// Keys are compared as ASCII bytes (option names are): Unicode case tables cost kilobytes of wasm.
fn misspelling(key: &str, known: &str) -> Option<usize> {
    let (a, b) = (key.as_bytes(), known.as_bytes());
    let limit = if b.len() >= 6 { 2 } else { 1 };
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Levenshtein distance, one row at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let changed = diagonal + usize::from(!ca.eq_ignore_ascii_case(cb));
            diagonal = row[j + 1];
            row[j + 1] = changed.min(diagonal + 1).min(row[j] + 1);
        }
    }
    Some(row[b.len()]).filter(|d| *d <= limit)
}

#[cfg(test)]
mod tests;
