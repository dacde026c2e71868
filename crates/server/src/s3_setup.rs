//! `skiff-server s3-setup`: checks, and with `--apply` sets, the CORS rule the configured S3
//! bucket needs for browsers to send parts straight to it (docs/protocol.md §3.8). The origins
//! are the ones given with `--origin`, else every app's `allowed_origins`.

use crate::config::Config;
use crate::storage::S3Storage;
use crate::storage::bucket_cors::{gap, with_needed};

/// What to do.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SetupArgs {
    /// An origin whose pages upload (repeat for several; `*` for any) [default: every app's
    /// allowed_origins].
    #[arg(long = "origin", value_name = "ORIGIN")]
    pub origins: Vec<String>,
    /// Put the rule in the bucket when it is missing (without it, only check).
    #[arg(long)]
    pub apply: bool,
}

/// Runs the check (and the change); the lines to print, or why it could not.
pub async fn run(config: &Config, args: &SetupArgs) -> Result<Vec<String>, String> {
    let settings = config
        .storage
        .s3_settings()
        .ok_or("s3-setup is for [storage] kind = \"s3\"; this config keeps files elsewhere")?;
    let origins = if args.origins.is_empty() {
        let mut all: Vec<String> = config
            .apps
            .iter()
            .flat_map(|a| a.allowed_origins.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    } else {
        args.origins.clone()
    };
    if origins.is_empty() {
        return Err(
            "name the origins whose pages upload: --origin https://app.example.com \
                    (or list them in each app's allowed_origins)"
                .into(),
        );
    }
    let storage = S3Storage::new(&settings).map_err(|e| format!("[storage] {e}"))?;
    storage
        .check()
        .await
        .map_err(|e| format!("[storage] {e}"))?;
    let rules = storage.cors().await.map_err(|e| e.to_string())?;
    let bucket = &settings.bucket;
    let gaps: Vec<String> = origins.iter().filter_map(|o| gap(&rules, o)).collect();
    let mut out = Vec::new();
    if gaps.is_empty() {
        out.push(format!(
            "bucket {bucket}: browsers at {} can send parts (PUT with Content-MD5, ETag exposed)",
            origins.join(", ")
        ));
        return Ok(out);
    }
    out.extend(gaps.iter().map(|g| format!("bucket {bucket}: {g}")));
    if !args.apply {
        out.push("run again with --apply to put the rule first in the bucket's CORS rules".into());
        return Err(out.join("\n"));
    }
    let fixed = with_needed(&rules, &origins);
    storage.set_cors(&fixed).await.map_err(|e| e.to_string())?;
    let after = storage.cors().await.map_err(|e| e.to_string())?;
    let left: Vec<String> = origins.iter().filter_map(|o| gap(&after, o)).collect();
    if !left.is_empty() {
        return Err(format!(
            "bucket {bucket}: the rule was sent but the bucket still answers: {}",
            left.join("; ")
        ));
    }
    out.push(format!(
        "bucket {bucket}: rule applied ({} rule(s) in all); browsers at {} can send parts",
        after.len(),
        origins.join(", ")
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AppConfig, Secret, StorageConfig};
    use crate::storage::seaweed;

    /// Without --apply it names what is missing and fails; with it the rule is put and a
    /// second check passes; the origins come from the apps when none are given.
    #[tokio::test]
    async fn checks_then_applies_the_rule() {
        let Some(bucket) = seaweed::bucket("setup-cors").await else {
            return;
        };
        let config = Config {
            storage: StorageConfig {
                kind: "s3".into(),
                endpoint: Some(bucket.endpoint.clone()),
                bucket: Some(bucket.name.clone()),
                access_key_id: Some(seaweed::ACCESS_KEY.into()),
                secret_access_key: Some(Secret(seaweed::SECRET_KEY.into())),
                ..StorageConfig::default()
            },
            apps: vec![AppConfig {
                key: "k".into(),
                secret: None,
                webhook_url: None,
                webhook_secret: None,
                sources: None,
                allowed_origins: vec!["https://app.test".into()],
            }],
            ..Config::default()
        };
        let check = SetupArgs::default();
        // A bucket that allows only GET from anywhere lacks the rule.
        let storage = S3Storage::new(&config.storage.s3_settings().unwrap()).unwrap();
        let get_only = crate::storage::bucket_cors::CorsRule {
            origins: vec!["*".into()],
            methods: vec!["GET".into()],
            ..Default::default()
        };
        storage.set_cors(&[get_only]).await.unwrap();
        let err = run(&config, &check).await.unwrap_err();
        assert!(err.contains("no rule lets https://app.test PUT"), "{err}");
        assert!(err.contains("--apply"), "{err}");
        let apply = SetupArgs {
            apply: true,
            ..SetupArgs::default()
        };
        let done = run(&config, &apply).await.unwrap().join("\n");
        assert!(done.contains("rule applied (2 rule(s)"), "{done}");
        let again = run(&config, &check).await.unwrap().join("\n");
        assert!(again.contains("can send parts"), "{again}");
        // Other origins, named on the command line, are checked on their own.
        let other = SetupArgs {
            origins: vec!["https://other.test".into()],
            apply: false,
        };
        assert!(run(&config, &other).await.is_err());
        // Not for a local folder; not without origins.
        let fs = Config::default();
        assert!(
            run(&fs, &check)
                .await
                .unwrap_err()
                .contains("kind = \"s3\"")
        );
        let none = Config {
            apps: Vec::new(),
            ..config
        };
        assert!(run(&none, &check).await.unwrap_err().contains("--origin"));
    }
}
