use super::*;

fn call(token: Option<&str>) -> Call {
    Call {
        apikey: "key".into(),
        token: token.map(str::to_owned),
        security: Some(("p".into(), "s".into())),
    }
}

#[test]
fn a_listing_names_the_session_the_folder_the_page_and_the_filter() {
    let b = list_body(
        &call(Some("tok")),
        CloudSource::Dropbox,
        "/Photos/",
        Some("n2"),
        &["image/*".into(), ".pdf".into()],
        &CustomSource::default(),
        None,
    );
    assert_eq!(
        b,
        json!({ "apikey": "key", "flow": "web", "token": "tok", "policy": "p", "signature": "s",
                "clouds": { "dropbox": { "path": "/Photos/", "next": "n2" } },
                "accept": ["image/*", ".pdf"] })
    );
}

#[test]
fn a_first_listing_has_no_token_and_an_empty_next_is_left_out() {
    let mut c = call(None);
    c.security = None;
    let b = list_body(
        &c,
        CloudSource::WebDav,
        "/",
        Some(""),
        &[],
        &CustomSource::default(),
        Some("https://app.example/page?fs-tab=init"),
    );
    assert_eq!(
        b,
        json!({ "apikey": "key", "flow": "web", "clouds": { "webdav": { "path": "/" } },
                "appurl": "https://app.example/page?fs-tab=init" })
    );
}

#[test]
fn the_custom_source_carries_its_root_and_bucket_and_no_other_source_does() {
    let custom = CustomSource {
        name: Some("Archive".into()),
        path: Some("team/".into()),
        container: Some("bucket".into()),
    };
    let b = list_body(
        &call(None),
        CloudSource::CustomSource,
        "/",
        None,
        &[],
        &custom,
        None,
    );
    assert_eq!(
        b["clouds"],
        json!({ "customsource": { "path": "/", "customSourcePath": "team/", "customSourceContainer": "bucket" } })
    );
    let b = list_body(&call(None), CloudSource::Box, "/", None, &[], &custom, None);
    assert_eq!(b["clouds"], json!({ "box": { "path": "/" } }));
}

#[test]
fn a_store_carries_the_store_options_the_tags_and_the_import_id() {
    let tags: UploadTags = serde_json::from_value(json!({ "team": "a" })).unwrap();
    let b = store_body(
        &call(Some("tok")),
        CloudSource::GoogleDrive,
        "/Doc~1",
        &json!({ "location": "s3", "path": "in/" }),
        &tags,
        "imp-1",
        &CustomSource::default(),
    );
    assert_eq!(
        b["clouds"],
        json!({ "googledrive": { "path": "/Doc~1", "store": { "location": "s3", "path": "in/" }, "import_id": "imp-1" } })
    );
    assert_eq!(b["upload_tags"], json!({ "team": "a" }));
    assert_eq!(b["token"], "tok");
}

#[test]
fn logout_and_status_name_the_source_and_the_flow() {
    assert_eq!(
        logout_body(&call(Some("t")), CloudSource::Box)["clouds"],
        json!({ "box": {} })
    );
    assert_eq!(
        status_body(&call(Some("t")), "f1"),
        json!({ "apikey": "key", "token": "t", "flow": "f1" })
    );
}

#[test]
fn a_page_reads_items_next_account_and_leaves_out_the_servers_icons() {
    let answer = json!({
        "token": "new",
        "dropbox": {
            "client": "dropbox", "filename": "Photos", "next": "p2", "account": "ana@example.com",
            "contents": [
                { "name": "Trips", "path": "/Photos/Trips/", "mimetype": "inode/directory",
                  "thumbnail": "https://s.example/cloud/icons/folder.svg", "size": "0", "bytes": 0, "folder": true },
                { "name": "ü.jpg", "path": "/Photos/ü.jpg", "mimetype": "image/jpeg",
                  "thumbnail": "https://images.example/t.jpg", "size": "12", "bytes": 12, "folder": false },
                { "name": "no path" }
            ]
        }
    });
    let (token, listing) = parse_list(&answer, CloudSource::Dropbox).unwrap();
    assert_eq!(token.as_deref(), Some("new"));
    let Listing::Page(page) = listing else {
        panic!("{listing:?}")
    };
    assert_eq!(page.folder, "Photos");
    assert_eq!(page.next.as_deref(), Some("p2"));
    assert_eq!(page.account.as_deref(), Some("ana@example.com"));
    assert_eq!(page.items.len(), 2, "an item without a path is dropped");
    assert!(page.items[0].folder && page.items[0].thumbnail.is_none());
    assert_eq!(
        page.items[1],
        CloudItem {
            name: "ü.jpg".into(),
            path: "/Photos/ü.jpg".into(),
            mimetype: "image/jpeg".into(),
            thumbnail: Some("https://images.example/t.jpg".into()),
            size: 12,
            folder: false,
        }
    );
}

#[test]
fn the_last_page_has_no_next_and_a_sign_in_offer_is_its_own_answer() {
    let last = json!({ "webdav": { "contents": [], "filename": "", "next": "" } });
    let (_, l) = parse_list(&last, CloudSource::WebDav).unwrap();
    assert!(matches!(l, Listing::Page(Page { next: None, .. })));
    let offer = json!({ "token": "t", "box": { "auth": { "redirect_url": "https://s/cloud/auth/box/start?flow=f", "flow": "f" }, "client": "box" } });
    let (token, l) = parse_list(&offer, CloudSource::Box).unwrap();
    assert_eq!(token.as_deref(), Some("t"));
    assert_eq!(
        l,
        Listing::SignIn(AuthOffer {
            redirect_url: "https://s/cloud/auth/box/start?flow=f".into(),
            flow: "f".into()
        })
    );
    assert!(
        parse_list(&json!({}), CloudSource::Box)
            .unwrap_err()
            .contains("box")
    );
}

#[test]
fn a_stored_file_takes_the_js_apis_names() {
    let answer = json!({ "webdav": { "handle": "h", "url": "u", "type": "text/plain", "upload_tags": { "a": "b" }, "client": "WebDAV" } });
    let f = parse_store(&answer, CloudSource::WebDav).unwrap();
    assert_eq!(f["uploadTags"], json!({ "a": "b" }));
    assert_eq!(f["mimetype"], "text/plain");
    assert!(f.get("upload_tags").is_none());
    assert!(parse_store(&json!({ "webdav": {} }), CloudSource::WebDav).is_err());
}

#[test]
fn flow_states_and_popup_messages_are_read_for_the_flow_asked_about_only() {
    assert_eq!(auth_state("started"), AuthState::Waiting);
    assert_eq!(auth_state("used"), AuthState::Expired);
    assert_eq!(auth_state("unbound"), AuthState::Failed);
    let m = json!({ "type": "skiff-auth", "flow": "f", "status": "denied" });
    assert_eq!(auth_message(&m, "f"), Some(AuthState::Denied));
    assert_eq!(auth_message(&m, "other"), None);
    assert_eq!(
        auth_message(&json!({ "type": "x", "flow": "f" }), "f"),
        None
    );
    assert_eq!(auth_message(&json!("text"), "f"), None);
}

#[test]
fn import_progress_reads_bytes_and_an_unknown_size() {
    assert_eq!(
        parse_progress(&json!({ "bytes": 5, "size": null, "state": "running" })),
        Some(ImportProgress {
            bytes: 5,
            size: None
        })
    );
    assert_eq!(parse_progress(&json!({ "error": "x" })), None);
}
