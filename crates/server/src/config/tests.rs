use super::*;
use clap::Parser;

#[test]
fn sources_are_read_checked_and_their_secrets_never_printed() {
    let text = r#"
[[apps]]
key = "a"
sources = ["webdav"]
[sources.webdav]
url = "https://dav.example.com/files/"
username = "u"
password = "dav-password"
[sources.customsource]
bucket = "picks"
prefix = "shared/"
access_key_id = "AKIA"
secret_access_key = "bucket-secret"
"#;
    let cfg: Config = toml::from_str(text).unwrap();
    cfg.validate().unwrap();
    assert_eq!(cfg.sources.configured(), ["webdav", "customsource"]);
    let shown = format!("{cfg:?}");
    assert!(
        !shown.contains("dav-password") && !shown.contains("bucket-secret"),
        "{shown}"
    );
    let bad: Config =
        toml::from_str(&text.replace(r#"sources = ["webdav"]"#, r#"sources = ["dropbox"]"#))
            .unwrap();
    let e = bad.validate().unwrap_err().to_string();
    assert!(
        e.contains("\"dropbox\"") && e.contains("configured: webdav, customsource"),
        "{e}"
    );
    assert!(toml::from_str::<Config>(&text.replace("bucket = ", "bukket = ")).is_err());
}

#[test]
fn cli_over_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("skiff.toml");
    std::fs::write(
        &file,
        "listen = \"0.0.0.0:9000\"\nmax_file_size = 10\n[[apps]]\nkey = \"filekey\"\nsecret = \"s\"\n[webhook_retry]\nbase_ms = 1\n",
    )
    .unwrap();
    let args = Args::parse_from([
        "skiff-server",
        "--config",
        file.to_str().unwrap(),
        "--app",
        "k2:sec",
        "--webhook",
        "http://h/x",
        "--max-file-size",
        "20",
    ]);
    let cfg = args.into_config().unwrap();
    assert_eq!(cfg.listen.port(), 9000);
    assert_eq!(cfg.max_file_size, 20);
    assert_eq!(cfg.webhook_retry.base_ms, 1);
    assert_eq!(cfg.apps.len(), 2);
    assert_eq!(cfg.apps[1].secret.as_deref(), Some("sec"));
    assert_eq!(cfg.apps[1].webhook_url.as_deref(), Some("http://h/x"));
}

#[test]
fn errors_are_named() {
    let err = Args::parse_from(["skiff-server"])
        .into_config()
        .unwrap_err()
        .to_string();
    assert!(err.contains("no app is configured"), "{err}");
    let err = Args::parse_from(["skiff-server", "--app", "k", "--public-url", "ftp://x"])
        .into_config()
        .unwrap_err();
    assert!(err.to_string().contains("ftp://x"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "lissen = 1").unwrap();
    let err = Args::parse_from(["skiff-server", "--config", file.to_str().unwrap()])
        .into_config()
        .unwrap_err();
    assert!(err.to_string().contains("lissen"), "{err}");
}

#[test]
fn backend_sections() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("skiff.toml");
    let load = |toml: &str| {
        std::fs::write(&file, format!("{toml}\n[[apps]]\nkey = \"k\"\n")).unwrap();
        Args::parse_from(["skiff-server", "--config", file.to_str().unwrap()]).into_config()
    };
    // Without the sections: the flat `data` folder holds everything, as before.
    let cfg = load("data = \"/srv/skiff\"").unwrap();
    assert_eq!(cfg.storage, StorageConfig::default());
    assert_eq!(cfg.state, StateConfig::default());
    assert_eq!(cfg.storage_path(), PathBuf::from("/srv/skiff/files"));
    assert_eq!(cfg.state_path(), PathBuf::from("/srv/skiff/skiff.db"));
    let cfg = load(
        "[storage]\nkind = \"fs\"\npath = \"/mnt/files\"\n[state]\nkind = \"sqlite\"\npath = \"/db/s.db\"",
    )
    .unwrap();
    assert_eq!(cfg.storage_path(), PathBuf::from("/mnt/files"));
    assert_eq!(cfg.state_path(), PathBuf::from("/db/s.db"));
    let err = load("[storage]\nkind = \"tape\"").unwrap_err().to_string();
    assert!(
        err.contains("[storage] kind") && err.contains("tape"),
        "{err}"
    );
    let err = load("[state]\nkind = \"postgres\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("[state] kind") && err.contains("postgres"),
        "{err}"
    );
    let err = load("[state]\nkind = \"sqlite\"\nurl = \"x\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("url"), "{err}");
}

#[test]
fn s3_storage_keys_are_checked_against_the_kind() {
    let cfg = |toml: &str| -> Config {
        toml::from_str(&format!("[[apps]]\nkey = \"k\"\n{toml}")).unwrap()
    };
    let err = |toml: &str| {
        cfg(toml)
            .storage
            .validate("[storage]")
            .unwrap_err()
            .to_string()
    };
    assert!(err("[storage]\nkind = \"s3\"\n").contains("needs `bucket`"));
    assert!(
        err("[storage]\nkind = \"s3\"\nbucket = \"b\"\naccess_key_id = \"k\"\n")
            .contains("SKIFF_S3_SECRET_ACCESS_KEY")
    );
    assert!(err("[storage]\nbucket = \"b\"\n").contains("read by kind = \"s3\" only"));
    let ok = cfg(
        "[storage]\nkind = \"s3\"\nendpoint = \"http://127.0.0.1:8333\"\nbucket = \"b\"\n\
         access_key_id = \"k\"\nsecret_access_key = \"s\"\n",
    );
    ok.storage.validate("[storage]").unwrap();
    let s = ok.storage.s3_settings().unwrap();
    assert!(s.path_style, "path style by default with an endpoint");
    assert_eq!(s.region, "us-east-1");
    assert!(
        !format!("{:?}", ok.storage).contains("\"s\""),
        "the secret is not shown"
    );
    assert!(
        cfg("[storage]\nkind = \"fs\"\n")
            .storage
            .s3_settings()
            .is_none()
    );
}

#[test]
fn an_app_storage_is_checked_like_the_server_one() {
    let validate = |toml: &str| {
        let cfg: Config = toml::from_str(toml).unwrap();
        cfg.validate().map(|_| cfg).map_err(|e| e.to_string())
    };
    let ok = validate(
        "[[apps]]\nkey = \"own\"\n[apps.storage]\nkind = \"s3\"\nbucket = \"b\"\n\
         access_key_id = \"k\"\nsecret_access_key = \"s\"\n[[apps]]\nkey = \"shared\"\n",
    )
    .unwrap();
    assert_eq!(
        ok.apps[0].storage.as_ref().unwrap().bucket.as_deref(),
        Some("b")
    );
    assert_eq!(ok.apps[1].storage, None);
    let err = validate("[[apps]]\nkey = \"own\"\n[apps.storage]\nkind = \"s3\"\n").unwrap_err();
    assert!(
        err.contains("app \"own\": [apps.storage] kind = \"s3\" needs `bucket`"),
        "{err}"
    );
    let err = validate("[[apps]]\nkey = \"own\"\n[apps.storage]\nkind = \"ftp\"\n").unwrap_err();
    assert!(
        err.contains("app \"own\": [apps.storage] kind = \"ftp\""),
        "{err}"
    );
    let err = validate("[[apps]]\nkey = \"own\"\n[apps.storage]\nbucket = \"b\"\n").unwrap_err();
    assert!(
        err.contains("[apps.storage] bucket is read by kind = \"s3\" only"),
        "{err}"
    );
}

#[test]
fn an_edge_needs_a_region_and_a_public_url() {
    let validate = |toml: &str| {
        toml::from_str::<Config>(toml)
            .map_err(|e| e.to_string())
            .and_then(|c| c.validate().map(|()| c).map_err(|e| e.to_string()))
    };
    let ok = validate(
        "region = \"eu-west\"\nedge = true\npublic_url = \"https://eu.example\"\n\
         [landing]\npath = \"/srv/landing\"\n",
    )
    .unwrap();
    assert_eq!(ok.edge_region(), Some("eu-west"));
    assert_eq!(ok.landing_path(), PathBuf::from("/srv/landing"));
    assert_eq!(validate("region = \"eu\"\n").unwrap().edge_region(), None);
    for (toml, says) in [
        (
            "edge = true\npublic_url = \"https://e.example\"\n",
            "edge = true needs region",
        ),
        (
            "edge = true\nregion = \"eu\"\nlisten = \"0.0.0.0:8080\"\n",
            "edge = true needs public_url when listening on 0.0.0.0:8080",
        ),
        ("region = \"EU west\"\n", "region \"EU west\""),
        (
            "[landing]\npath = \"/x\"\n",
            "[landing] is where an edge's uploads land",
        ),
        (
            "edge = true\nregion = \"eu\"\npublic_url = \"https://e.example\"\n\
             [landing]\nkind = \"azure\"\n",
            "[landing] kind = \"azure\"",
        ),
    ] {
        let err = validate(toml).unwrap_err();
        assert!(err.contains(says), "{toml}: {err}");
    }
}

#[test]
fn locations_are_checked_by_kind_and_name() {
    let validate = |toml: &str| {
        let cfg: Config = toml::from_str(&format!("[[apps]]\nkey = \"k\"\n{toml}")).unwrap();
        cfg.validate().map(|_| cfg).map_err(|e| e.to_string())
    };
    let azure = "[locations.azure]\nkind = \"azure\"\naccount = \"a\"\naccess_key = \"k\"\n\
                 container = \"c\"\nendpoint = \"http://127.0.0.1:10000/a\"\n";
    let ok = validate(azure).unwrap();
    let s = ok.locations["azure"].azure_settings().unwrap();
    assert_eq!((s.account.as_str(), s.container.as_str()), ("a", "c"));
    assert!(!format!("{ok:?}").contains("access_key: Some(Secret(\"k\"))"));
    let err = validate("[locations.azure]\nkind = \"azure\"\naccount = \"a\"\n").unwrap_err();
    assert!(
        err.contains("[locations.azure] kind = \"azure\" needs `access_key`"),
        "{err}"
    );
    let err = validate(&format!("{azure}bucket = \"b\"\n")).unwrap_err();
    assert!(
        err.contains("bucket is read by kind = \"s3\" only"),
        "{err}"
    );
    let err = validate("[locations.archive]\nkind = \"fs\"\ncontainer = \"c\"\n").unwrap_err();
    assert!(
        err.contains("container is read by kind = \"azure\" only"),
        "{err}"
    );
    let err = validate("[locations.S3]\nkind = \"fs\"\n").unwrap_err();
    assert!(err.contains("a location's name"), "{err}");
    let err = validate("[locations.s3]\nkind = \"fs\"\n").unwrap_err();
    assert!(err.contains("a location's name"), "{err}");
    let err = validate("[storage]\nkind = \"azure\"\n").unwrap_err();
    assert!(err.contains("is a location files are moved to"), "{err}");
}

#[test]
fn state_keys_fit_the_kind() {
    let cfg = |toml: &str| -> Config {
        toml::from_str(&format!("[[apps]]\nkey = \"k\"\n{toml}")).unwrap()
    };
    let pg = cfg("[state]\nkind = \"postgres\"\nurl = \"postgres://skiff:pw-123@db/skiff\"");
    assert_eq!(
        pg.state.url.as_ref().map(|u| u.0.as_str()),
        Some("postgres://skiff:pw-123@db/skiff")
    );
    assert!(!format!("{pg:?}").contains("pw-123"));
    if cfg!(feature = "postgres") {
        pg.validate().unwrap();
    }
    // The keys alone, whichever backends this build has.
    let err = |toml: &str| cfg(toml).state.validate().unwrap_err().to_string();
    assert!(err("[state]\nkind = \"postgres\"").contains("needs `url`"));
    assert!(
        err("[state]\nkind = \"postgres\"\nurl = \"x\"\npath = \"/db\"").contains("[state] path")
    );
    assert!(err("[state]\nkind = \"postgres\"\nurl = \" \"").contains("empty"));
    assert!(err("[state]\nurl = \"postgres://db/x\"").contains("[state] url is read by"));
}

#[test]
fn demo_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (site, other) = (dir.path().join("site"), dir.path().join("other"));
    std::fs::create_dir(&site).unwrap();
    std::fs::create_dir(&other).unwrap();
    let file = dir.path().join("skiff.toml");
    let toml = format!(
        "demo = {:?}\n[[apps]]\nkey = \"k\"\n",
        site.to_str().unwrap()
    );
    std::fs::write(&file, toml).unwrap();
    let cfg = Args::parse_from(["skiff-server", "--config", file.to_str().unwrap()])
        .into_config()
        .unwrap();
    assert_eq!(cfg.demo.as_deref(), Some(site.as_path()));
    let cfg = Args::parse_from([
        "skiff-server",
        "--config",
        file.to_str().unwrap(),
        "--demo",
        other.to_str().unwrap(),
    ])
    .into_config()
    .unwrap();
    assert_eq!(cfg.demo.as_deref(), Some(other.as_path()));
    let cfg = Args::parse_from(["skiff-server", "--app", "k"])
        .into_config()
        .unwrap();
    assert_eq!(cfg.demo, None);
    let missing = dir.path().join("missing");
    let err = Args::parse_from([
        "skiff-server",
        "--app",
        "k",
        "--demo",
        missing.to_str().unwrap(),
    ])
    .into_config()
    .unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

#[test]
fn location_url_drops_https_only() {
    let mut cfg = Config {
        public_url: Some("https://up.example:8443/".into()),
        ..Config::default()
    };
    assert_eq!(cfg.location_url(), "up.example:8443");
    cfg.public_url = Some("http://127.0.0.1:8080".into());
    assert_eq!(cfg.location_url(), "http://127.0.0.1:8080");
}
