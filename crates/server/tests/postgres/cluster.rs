//! A throwaway PostgreSQL server: `initdb` in a temporary folder, `pg_ctl start` on a free
//! loopback port with its socket in that folder, stopped and removed when dropped.
//!
//! PostgreSQL refuses to run as root, so as root the folder is handed to the `postgres` user
//! and its programs run through `runuser`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The password of the `postgres` superuser over TCP (password logins are on, so that a wrong
/// one can be tried).
pub const PASSWORD: &str = "pg-test-password";

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

/// Where PostgreSQL's server programs are: `SKIFF_PG_BIN`, else `pg_config --bindir`, else the
/// newest version in Debian's layout (its programs are not on PATH), else PATH.
fn find_bin() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("SKIFF_PG_BIN").map(PathBuf::from) {
        return has_initdb(&dir).then_some(dir);
    }
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(dir) = from_pg_config.filter(|d| has_initdb(d)) {
        return Some(dir);
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_initdb(bin))
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Some(dir);
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| has_initdb(d))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    /// A running server, or `None` (with a message saying so) when PostgreSQL is not installed.
    pub fn start(test: &str) -> Option<Cluster> {
        let Some(bin) = find_bin() else {
            println!(
                "SKIPPED {test}: PostgreSQL's server programs (initdb, pg_ctl) were not found; \
                 install them (`scripts/setup.sh test` does) or point SKIFF_PG_BIN at their folder"
            );
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("skiff-pg-")
            .tempdir()
            .unwrap();
        if as_postgres {
            let out = Command::new("chown")
                .args(["postgres:"])
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "chown: {out:?}");
        }
        std::fs::write(dir.path().join("pwfile"), PASSWORD).unwrap();
        let mut cluster = Cluster {
            dir,
            bin,
            as_postgres,
            port: 0,
        };
        let pwfile = cluster.path("pwfile");
        let data = cluster.path("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                &format!("--pwfile={pwfile}"),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        // A port that was free a moment ago may be taken by the time the server binds it.
        for _ in 0..3 {
            cluster.port = free_port();
            if cluster.try_start() {
                return Some(cluster);
            }
        }
        panic!(
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(cluster.path("log")).unwrap_or_default()
        );
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn command(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn output(&self, program: &str, args: &[&str]) -> Output {
        self.command(program).args(args).output().unwrap()
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.output(program, args);
        assert!(
            out.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn try_start(&self) -> bool {
        // Durability settings off: the tests never crash the machine, and fsyncs would dominate.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off",
            self.port,
            self.path("")
        );
        self.output(
            "pg_ctl",
            &[
                "-D",
                &self.path("data"),
                "-l",
                &self.path("log"),
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
        .status
        .success()
    }

    /// Starts the server again after [`Cluster::stop`], on the same port.
    pub fn restart(&self) {
        assert!(self.try_start(), "PostgreSQL did not start again");
    }

    /// Stops the server (`fast`: open sessions are ended, as in a real restart).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.path("data"), "-m", "fast", "-w", "stop"],
        );
    }

    /// A schema of its own for one check (cheaper than a database: `CREATE DATABASE` copies a
    /// template), and the URL that works in it over TCP with the password.
    pub fn schema(&self, name: &str) -> String {
        self.run(
            "psql",
            &[
                "-h",
                &self.path(""),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-qc",
                &format!("CREATE SCHEMA {name}"),
            ],
        );
        format!(
            "{}?options=-c%20search_path%3D{name}",
            self.url("postgres", PASSWORD)
        )
    }

    /// Like [`Cluster::schema`], connecting over the folder's Unix socket (no password: local
    /// logins are trusted), which skips the password exchange each new connection makes.
    pub fn local_schema(&self, name: &str) -> String {
        let _ = self.schema(name);
        let socket = self.path("").replace('/', "%2F");
        format!(
            "postgres://postgres@{socket}:{}/postgres?options=-c%20search_path%3D{name}",
            self.port
        )
    }

    /// The URL of a database with a password (right or wrong).
    pub fn url(&self, db: &str, password: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/{db}",
            self.port
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate: nothing is left to keep, and the folder goes next.
        let _ = self.output(
            "pg_ctl",
            &["-D", &self.path("data"), "-m", "immediate", "-w", "stop"],
        );
    }
}
