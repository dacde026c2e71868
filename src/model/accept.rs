//! The picker's `accept` rule (docs/protocol.md §8.1): file extensions (`.pdf`), MIME types
//! (`image/png`) and wildcards (`image/*`, `video/*`, `audio/*`, `application/*`, `text/*`),
//! compared case-insensitively.

/// One accepted kind of file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptRule {
    /// `.ext`: the name ends with it.
    Extension(String),
    /// `type/subtype`: exactly that type.
    Mime(String),
    /// `type/*`: any subtype.
    Family(String),
}

impl AcceptRule {
    /// The rule as people (and the Cloud API's `accept`) write it: `.pdf`, `image/png`, `image/*`.
    pub fn written(&self) -> String {
        match self {
            AcceptRule::Extension(e) | AcceptRule::Mime(e) => e.clone(),
            AcceptRule::Family(f) => format!("{f}/*"),
        }
    }
}

/// Reads one `accept` entry, or says why it is not one.
pub fn parse_rule(entry: &str) -> Result<AcceptRule, String> {
    let e = entry.trim().to_ascii_lowercase();
    if let Some(ext) = e.strip_prefix('.') {
        if ext.is_empty() || ext.contains(['/', ' ']) {
            return Err(format!("\"{entry}\" is not a file extension like \".pdf\""));
        }
        return Ok(AcceptRule::Extension(e));
    }
    match e.split_once('/') {
        Some((family, "*")) if !family.is_empty() && family != "*" => {
            Ok(AcceptRule::Family(family.to_owned()))
        }
        Some((t, s)) if !t.is_empty() && !s.is_empty() && !t.contains('*') && !s.contains('*') => {
            Ok(AcceptRule::Mime(e))
        }
        _ => Err(format!(
            "\"{entry}\" is not an extension (\".pdf\"), a MIME type (\"image/png\") or a wildcard (\"image/*\")"
        )),
    }
}

/// Whether a file named `name` of type `mimetype` matches any of `rules` (no rules: anything).
pub fn accepts(rules: &[AcceptRule], name: &str, mimetype: &str) -> bool {
    if rules.is_empty() {
        return true;
    }
    let name = name.to_ascii_lowercase();
    let mime = mimetype.trim().to_ascii_lowercase();
    let mime = mime.split(';').next().unwrap_or("").trim();
    rules.iter().any(|r| match r {
        AcceptRule::Extension(ext) => name.ends_with(ext.as_str()),
        AcceptRule::Mime(m) => mime == m,
        AcceptRule::Family(f) => mime.split_once('/').is_some_and(|(t, _)| t == f),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_is_written_back_as_it_is_read() {
        for entry in [".pdf", "image/png", "image/*"] {
            assert_eq!(parse_rule(entry).unwrap().written(), entry);
        }
    }

    #[test]
    fn rules_and_matching() {
        let rules: Vec<AcceptRule> = [".PDF", "image/*", "text/csv"]
            .iter()
            .map(|r| parse_rule(r).unwrap())
            .collect();
        let cases = [
            ("Report.pdf", "", true),
            ("report.pdf.exe", "application/x-msdownload", false),
            ("cat.heic", "image/heic", true),
            ("data.csv", "text/csv; charset=utf-8", true),
            ("notes.txt", "text/plain", false),
            ("noext", "", false),
        ];
        for (name, mime, want) in cases {
            assert_eq!(accepts(&rules, name, mime), want, "{name} {mime}");
        }
        assert!(accepts(&[], "anything", ""));
        for bad in ["", ".", "*/*", "image/", "/png", "pdf", ". pdf"] {
            assert!(parse_rule(bad).is_err(), "{bad:?}");
        }
    }
}
