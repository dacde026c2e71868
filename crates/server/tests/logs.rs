//! The real `skiff-server` binary's log output when it is not written to a terminal.
//! Run: `cargo test -p skiff-server --test logs`.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the binary with its output on pipes, asks for /health so a request is logged, stops
/// it, and returns everything it wrote.
fn logs_of_a_short_run() -> String {
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
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answered = std::net::TcpStream::connect(&listen).and_then(|mut s| {
            use std::io::Write as _;
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        });
        if answered.is_ok_and(|a| a.starts_with("HTTP/1.1 200")) {
            break;
        }
        assert!(Instant::now() < deadline, "skiff-server did not answer");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let mut out = String::new();
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
        .read_to_string(&mut out)
        .unwrap();
    child.wait().unwrap();
    out
}

#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let out = logs_of_a_short_run();
    assert!(
        out.contains("/health"),
        "the request was not logged:\n{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "escape codes in piped logs:\n{out:?}"
    );
}
