//! `skiff-server s3-setup`: checks, and with `--apply` sets, the CORS rule the configured S3
//! bucket needs for browsers to send parts straight to it (docs/protocol.md §3.8). The origins
//! are the ones given with `--origin`, else every app's `allowed_origins`.

use crate::config::{Config, SetupArgs};
use crate::storage::bucket_cors::{gap, with_needed};
use crate::storage::{S3Storage, S3StorageSettings};

/// One bucket to set up: where the config names it, its settings, the origins that upload to it.
struct Target {
    section: String,
    settings: S3StorageSettings,
    origins: Vec<String>,
}

/// The S3 buckets of the config: `[storage]`'s, for every app's origins, and each app's own
/// (`[apps.storage]`), for that app's origins; `--origin` replaces the origins of all.
fn targets(config: &Config, args: &SetupArgs) -> Vec<Target> {
    let origins = |apps: &mut dyn Iterator<Item = &crate::config::AppConfig>| -> Vec<String> {
        if !args.origins.is_empty() {
            return args.origins.clone();
        }
        let mut all: Vec<String> = apps
            .flat_map(|a| a.allowed_origins.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let mut out = Vec::new();
    if let Some(settings) = config.storage.s3_settings() {
        let sharing = &mut config.apps.iter().filter(|a| a.storage.is_none());
        out.push(Target {
            section: "[storage]".into(),
            settings,
            origins: origins(sharing),
        });
    }
    for app in &config.apps {
        if let Some(settings) = app.storage.as_ref().and_then(|s| s.s3_settings()) {
            out.push(Target {
                section: crate::config::app_storage_section(&app.key),
                settings,
                origins: origins(&mut std::iter::once(app)),
            });
        }
    }
    out
}

/// Runs the check (and the change) on every bucket; the lines to print, or why it could not.
pub async fn run(config: &Config, args: &SetupArgs) -> Result<Vec<String>, String> {
    let all = targets(config, args);
    if all.is_empty() {
        return Err("s3-setup is for [storage] (or [apps.storage]) kind = \"s3\"; this config keeps files elsewhere".into());
    }
    let mut out = Vec::new();
    let mut failed = false;
    for t in &all {
        match one(t, args.apply).await {
            Ok(lines) => out.extend(lines),
            Err(lines) => {
                failed = true;
                out.push(lines);
            }
        }
    }
    if failed { Err(out.join("\n")) } else { Ok(out) }
}

async fn one(t: &Target, apply: bool) -> Result<Vec<String>, String> {
    let (section, origins) = (&t.section, &t.origins);
    if origins.is_empty() {
        return Err(format!(
            "{section}: name the origins whose pages upload: --origin https://app.example.com \
             (or list them in the apps' allowed_origins)"
        ));
    }
    let storage = S3Storage::new(&t.settings).map_err(|e| format!("{section} {e}"))?;
    storage
        .check()
        .await
        .map_err(|e| format!("{section} {e}"))?;
    let rules = storage.cors().await.map_err(|e| e.to_string())?;
    let bucket = &t.settings.bucket;
    let gaps: Vec<String> = origins.iter().filter_map(|o| gap(&rules, o)).collect();
    if gaps.is_empty() {
        return Ok(vec![format!(
            "bucket {bucket}: browsers at {} can send parts (PUT with Content-MD5, ETag exposed)",
            origins.join(", ")
        )]);
    }
    let mut out: Vec<String> = gaps
        .iter()
        .map(|g| format!("bucket {bucket}: {g}"))
        .collect();
    if !apply {
        out.push("run again with --apply to put the rule first in the bucket's CORS rules".into());
        return Err(out.join("\n"));
    }
    let fixed = with_needed(&rules, origins);
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
                storage: None,
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
        let err = run(&none, &check).await.unwrap_err();
        assert!(err.starts_with("[storage]: name the origins"), "{err}");
    }
}
