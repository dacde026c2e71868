//! `skiff-standins <provider>`: runs one stand-in on loopback for tests outside Rust (the
//! browser tests of the sign-in popup), serving a small tree of files. Prints one JSON line
//! with its URLs and client, then serves until it is stopped.

use skiff_standins::{box_api, dropbox, github};

fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("/readme.txt", b"hello from the stand-in\n".to_vec()),
        ("/Fotos/Überblick.txt", "grüße\n".as_bytes().to_vec()),
        ("/Fotos/empty.bin", Vec::new()),
        // The root holds more than one page of Dropbox's (two entries), for the picker's paging.
        ("/notes.md", b"# notes\n".to_vec()),
        ("/zeta.csv", b"z,1\n".to_vec()),
    ]
}

#[tokio::main]
async fn main() {
    let provider = std::env::args().nth(1).unwrap_or_default();
    let files = files();
    let (s, client, authorize, token) = match provider.as_str() {
        "dropbox" => (
            dropbox::start(&files, dropbox::Options::default()).await,
            (dropbox::CLIENT_ID, dropbox::CLIENT_SECRET),
            "/oauth2/authorize",
            "/oauth2/token",
        ),
        "box" => (
            box_api::start(&files, box_api::Options::default()).await,
            (box_api::CLIENT_ID, box_api::CLIENT_SECRET),
            "/api/oauth2/authorize",
            "/oauth2/token",
        ),
        "github" => (
            github::start(&files).await,
            (github::CLIENT_ID, github::CLIENT_SECRET),
            "/login/oauth/authorize",
            "/login/oauth/access_token",
        ),
        other => {
            eprintln!("skiff-standins: unknown provider {other:?} (dropbox, box, github)");
            std::process::exit(2);
        }
    };
    let line = serde_json::json!({
        "provider": provider,
        "url": s.url(),
        "content_url": s.content_url(),
        "client_id": client.0,
        "client_secret": client.1,
        "auth_url": format!("{}{authorize}", s.url()),
        "token_url": format!("{}{token}", s.url()),
    });
    println!("{line}");
    // Serve until stopped.
    std::future::pending::<()>().await;
}
