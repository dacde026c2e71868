//! The real `skiff-server` binary's log output when it is not written to a terminal.
//! Run: `cargo test -p skiff-server --test logs`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the binary with its output on pipes, asks for /health and a thumbnail so requests are
/// logged, stops it, and returns what it wrote to stdout and to stderr.
fn logs_of_a_short_run() -> (String, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_skiff-server"))
        .args(["--listen", &listen, "--data", dir.path().to_str().unwrap()])
        .args(["--app", "k"])
        .env("RUST_LOG", "info,tower_http=debug")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("skiff-server starts");
    let get = |target: &str| -> std::io::Result<String> {
        let mut s = TcpStream::connect(&listen)?;
        let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes())?;
        let mut answer = String::new();
        s.read_to_string(&mut answer)?;
        Ok(answer)
    };
    // The query stands for a provider's callback: its code must not reach the log.
    let health = || get("/health?code=SECRET-CODE-123&state=S");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !health().is_ok_and(|a| a.starts_with("HTTP/1.1 200")) {
        assert!(Instant::now() < deadline, "skiff-server did not answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    // A thumbnail's path is a capability: whoever reads it sees the picture.
    let thumbnail = get("/cloud/thumbnails/SECRET-CAPABILITY-456").unwrap();
    assert!(thumbnail.starts_with("HTTP/1.1 404"), "{thumbnail}");
    child.kill().unwrap();
    let (mut out, mut err) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    child.wait().unwrap();
    (out, err)
}

#[test]
fn logs_go_to_stderr_without_colour_codes_when_it_is_a_pipe() {
    let (out, err) = logs_of_a_short_run();
    assert!(
        err.contains("/health"),
        "the request was not logged to stderr:\n{err}"
    );
    assert!(
        !err.contains('\u{1b}'),
        "escape codes in piped logs:\n{err:?}"
    );
    assert!(
        !err.contains("SECRET-CODE-123"),
        "a query string was logged:\n{err}"
    );
    assert!(
        err.contains("/cloud/thumbnails/{capability}") && !err.contains("SECRET-CAPABILITY-456"),
        "a thumbnail capability was logged:\n{err}"
    );
    // stdout has the start-up banner (where to point clients) and no log lines.
    assert!(out.contains("listening on"), "no banner on stdout:\n{out}");
    assert!(
        !out.contains("/health") && !out.contains('\u{1b}'),
        "log lines or escape codes on stdout:\n{out:?}"
    );
}
