use super::*;
use serde_json::json;

#[test]
fn defaults() {
    let p = picker_options(Value::Null).unwrap();
    assert_eq!(
        (
            p.display_mode,
            p.concurrency,
            p.min_files,
            p.max_files,
            p.lang.as_str()
        ),
        (DisplayMode::Overlay, 4, 1, 1, "en")
    );
    assert_eq!(p.from_sources, [Source::Local, Source::Url]);
    assert!(!p.upload_in_background && p.accept.is_empty());
    assert!(p.drop_pane.show_icon && p.drop_pane.show_progress && !p.drop_pane.disable_click);
}

#[test]
fn values_are_read() {
    let p = picker_options(json!({
        "accept": ["image/*", ".pdf"], "maxFiles": 5, "minFiles": 2, "maxSize": 1048576, "displayMode": "inline",
        "container": "#picker", "lang": "he", "customText": { "Upload": "Send" }, "fromSources": ["url", "local_file_system"],
        "storeTo": { "location": "s3", "path": "up/" }, "uploadConfig": { "intelligent": true, "tags": { "a": "b" } },
        "pasteMode": { "pasteToFirstInstance": true }, "useSentryBreadcrumbs": false,
        "disableTransformer": true, "disableAltText": true
    }))
    .unwrap();
    assert_eq!(
        (p.accept.len(), p.max_files, p.min_files, p.max_size),
        (2, 5, 2, Some(1_048_576))
    );
    assert_eq!(
        (p.display_mode, p.container.as_deref(), p.lang.as_str()),
        (DisplayMode::Inline, Some("#picker"), "he")
    );
    assert_eq!(p.from_sources, [Source::Url, Source::Local]);
    assert_eq!(p.custom_text, [("Upload".to_owned(), "Send".to_owned())]);
    assert!(p.paste_to_first_instance);
    assert_eq!(p.upload_config.tags.get("a"), Some("b"));
    assert_eq!(
        p.store_to.store_for("a.txt")["path"],
        json!("up/"),
        "a random key by default"
    );
    let p =
        picker_options(json!({ "storeTo": { "path": "up/" }, "disableStorageKey": true })).unwrap();
    assert_eq!(
        p.store_to.store_for("a.txt")["path"],
        json!("up/a.txt"),
        "disableStorageKey: no random key"
    );
}

#[test]
fn cloud_sources_are_read_in_order_once_each_with_the_custom_sources_settings() {
    let p = picker_options(json!({
        "fromSources": ["dropbox", "local_file_system", "customsource", "imagesearch", "dropbox"],
        "customSourceName": "Archive", "customSourcePath": "team/", "customSourceContainer": "bucket"
    }))
    .unwrap();
    assert_eq!(
        p.from_sources,
        [
            Source::Cloud(CloudSource::Dropbox),
            Source::Local,
            Source::Cloud(CloudSource::CustomSource),
            Source::Cloud(CloudSource::ImageSearch),
        ]
    );
    assert_eq!(
        p.custom_source,
        CustomSource {
            name: Some("Archive".into()),
            path: Some("team/".into()),
            container: Some("bucket".into()),
        }
    );
    let err = picker_options(json!({ "customSourcePath": 3 })).unwrap_err();
    assert!(err.0.contains("customSourcePath"), "{}", err.0);
}

#[test]
fn each_bad_value_has_its_message() {
    let cases = [
        (json!({ "colour": "red" }), "Unknown picker option `colour`"),
        (
            json!({ "maxfiles": 2 }),
            "Unknown picker option `maxfiles`; did you mean `maxFiles`?",
        ),
        (
            json!({ "disableStorageKey": "yes" }),
            "Invalid picker option `disableStorageKey`: must be true or false; got \"yes\"",
        ),
        (
            json!({ "disableTransformer": false }),
            "The picker option `disableTransformer` can only be true: Skiff's picker has no image editor or alt-text field yet",
        ),
        (
            json!({ "transformations": { "crop": true } }),
            "The picker option `transformations` is not supported by Skiff yet",
        ),
        (
            json!({ "fromSources": ["webcam"] }),
            "The source \"webcam\" in `fromSources` is not supported by Skiff yet",
        ),
        (
            json!({ "fromSources": ["myspace"] }),
            "Unknown source \"myspace\" in `fromSources`",
        ),
        (
            json!({ "fromSources": [{ "name": "mine" }] }),
            "The picker option `fromSources`: custom source objects are not supported by Skiff yet",
        ),
        (
            json!({ "fromSources": [] }),
            "Invalid picker option `fromSources`: name at least one source",
        ),
        (
            json!({ "fromSources": "url" }),
            "Invalid picker option `fromSources`: must be a list of source names; got \"url\"",
        ),
        (
            json!({ "accept": ["pdf"] }),
            "Invalid picker option `accept`: \"pdf\" is not an extension (\".pdf\"), a MIME type (\"image/png\") or a wildcard (\"image/*\")",
        ),
        (
            json!({ "accept": [] }),
            "Invalid picker option `accept`: must be a string or a non-empty list of strings; got an empty list",
        ),
        (
            json!({ "accept": [".pdf", 5] }),
            "Invalid picker option `accept`: entry 1 must be a string; got 5",
        ),
        (
            json!({ "displayMode": "inline" }),
            "The picker option `container` is required for the inline and dropPane display modes",
        ),
        (
            json!({ "displayMode": "inline", "contaner": "#x" }),
            "Unknown picker option `contaner`; did you mean `container`?",
        ),
        (
            json!({ "displayMode": "popup" }),
            "Invalid picker option `displayMode`: must be \"overlay\", \"inline\" or \"dropPane\"; got \"popup\"",
        ),
        (
            json!({ "container": " " }),
            "Invalid picker option `container`: must be a selector, an id or a DOM element; got \" \"",
        ),
        (
            json!({ "maxFiles": 0 }),
            "Invalid picker option `maxFiles`: must be a whole number, 1 to 1000000; got 0",
        ),
        (
            json!({ "minFiles": 3, "maxFiles": 2 }),
            "The picker options `minFiles` (3) and `maxFiles` (2) contradict each other",
        ),
        (
            json!({ "maxSize": 0 }),
            "Invalid picker option `maxSize`: must be a whole number of bytes, at least 1; got 0",
        ),
        (
            json!({ "errorsTimeout": -5 }),
            "Invalid picker option `errorsTimeout`: must be a whole number of ms, at least 0; got -5",
        ),
        (
            json!({ "lang": "xx" }),
            "Invalid picker option `lang`: must be \"ca\", \"da\", \"de\", \"en\", \"es\", \"fr\", \"he\", \"it\", \"ja\", \"ko\", \"nl\", \"no\", \"pl\", \"pt\", \"sv\", \"ru\", \"vi\", \"zh\", \"tr\" or \"ar\"; got \"xx\"",
        ),
        (
            json!({ "concurrency": 21 }),
            "Invalid picker option `concurrency`: must be a whole number, 1 to 20; got 21",
        ),
        (
            json!({ "supportEmail": true }),
            "Invalid picker option `supportEmail`: must be a string; got true",
        ),
        (
            json!({ "storeTo": { "bucket": "x" } }),
            "Unknown picker option `storeTo.bucket`",
        ),
        (
            json!({ "storeTo": { "access": "world" } }),
            "Invalid picker option `storeTo.access`: must be \"public\" or \"private\"; got \"world\"",
        ),
        (
            json!({ "storeTo": { "sanitizer": { "swap": 1 } } }),
            "Unknown picker option `storeTo.sanitizer.swap`; valid keys: exclude, replacement",
        ),
        (
            json!({ "storeTo": [] }),
            "Invalid picker option `storeTo`: must be an object; got a list",
        ),
        (
            json!({ "uploadConfig": { "partSize": 1 } }),
            "Invalid picker option `uploadConfig.partSize`: must be a whole number of bytes, at least 5242880; got 1",
        ),
        (
            json!({ "uploadConfig": { "partsize": 1 } }),
            "Unknown picker option `uploadConfig.partsize`; did you mean `partSize`?",
        ),
        (
            json!({ "uploadConfig": { "tags": { "a": 1 } } }),
            "Invalid picker option `uploadConfig.tags`: upload tag \"a\" must have a string value",
        ),
        (
            json!({ "customText": { "Upload": 1 } }),
            "Invalid picker option `customText`: the text for \"Upload\" must be a string; got 1",
        ),
        (
            json!({ "customText": "Upload" }),
            "Invalid picker option `customText`: must be an object of strings; got \"Upload\"",
        ),
        (
            json!({ "pasteMode": { "pasteToFirstInstance": 1 } }),
            "Invalid picker option `pasteMode.pasteToFirstInstance`: must be true or false; got 1",
        ),
        (
            json!({ "pasteMode": { "toFirst": true } }),
            "Unknown picker option `pasteMode.toFirst`; valid keys: pasteToFirstInViewPort, pasteToFirstInstance",
        ),
        (
            json!({ "dropPane": { "cropFiles": true } }),
            "The picker option `dropPane.cropFiles` is not supported by Skiff yet",
        ),
        (
            json!({ "dropPane": { "disableClick": 1 } }),
            "Invalid picker option `dropPane.disableClick`: must be true or false; got 1",
        ),
        (
            json!({ "dropPane": { "customText": 1 } }),
            "Invalid picker option `dropPane.customText`: must be a string; got 1",
        ),
        (
            json!({ "dropPane": { "showicon": false } }),
            "Unknown picker option `dropPane.showicon`; did you mean `showIcon`?",
        ),
        (
            json!(["overlay"]),
            "Invalid picker options: must be an object; got a list",
        ),
    ];
    for (v, want) in cases {
        let e = picker_options(v.clone()).unwrap_err().to_string();
        assert_eq!(e, want, "{v}");
    }
}
