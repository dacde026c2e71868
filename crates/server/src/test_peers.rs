//! What the tests that run a real service on loopback share (SeaweedFS, Azurite, rclone's
//! WebDAV): finding its program, a free port, and a process that goes with the test.
//!
//! `npm test` installs every such program and sets `SKIFF_REQUIRE_PEERS`, so there a missing one
//! fails the test; a bare `cargo test` without it skips the test, saying so.

#![allow(clippy::unwrap_used)] // test support: failures should panic with context

use std::process::{Child, Command, Stdio};

/// Whether `program` runs (`program <version_arg>` succeeds). When it does not: a failed test
/// under `SKIFF_REQUIRE_PEERS`, else `false` and a line saying the test skipped. `what` names the
/// service and `how` says how to install it.
pub(crate) fn installed(program: &str, version_arg: &str, what: &str, how: &str) -> bool {
    let ran = Command::new(program)
        .arg(version_arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if ran.is_ok_and(|s| s.success()) {
        return true;
    }
    assert!(
        std::env::var_os("SKIFF_REQUIRE_PEERS").is_none(),
        "{what} (`{program}`) is needed for these tests ({how})"
    );
    eprintln!("skipped: {what} (`{program}`) is not installed ({how})");
    false
}

/// A loopback port free a moment ago (another process could take it before the service binds).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A service's process, killed and waited for (so its ports are free) when dropped.
#[derive(Debug)]
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
