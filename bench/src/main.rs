//! `skiff-bench`: measures skiff-server's multipart ingest against the raw sequential write speed
//! of the disk it writes to (run the whole comparison with `npm run bench`, i.e. `scripts/bench.sh`).
//!
//! - `ingest`: one file through the regular multipart flow (docs/protocol.md §3), parts `PUT` by N
//!   concurrent workers that pull part numbers from one shared queue. Part bytes and their MD5s
//!   are prepared before the clock starts, so the client does no hashing while timed.
//! - `diskwrite`: writes a file of the same size in big blocks to the given folder, fsyncs it,
//!   deletes it.
//! - `table`: reads the JSON lines both print and prints the markdown result table.

mod diskwrite;
mod ingest;
mod payload;
mod sys;
mod table;
mod units;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use units::parse_size;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, Error>;

#[derive(Debug, Parser)]
#[command(name = "skiff-bench", about = "Benchmarks for skiff-server")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Upload one file through the multipart flow and print the timing as one JSON line.
    Ingest(IngestArgs),
    /// Write a file sequentially, fsync it, delete it; print the timing as one JSON line.
    Diskwrite(DiskArgs),
    /// Print the markdown table from the JSON lines of `ingest` and `diskwrite` runs.
    Table(TableArgs),
    /// Single-core MD5 speed of the md-5 crate the server verifies parts with; one JSON line.
    Md5(Md5Args),
    /// Print a free loopback TCP port.
    FreePort,
}

#[derive(Debug, clap::Args)]
struct Md5Args {
    /// Bytes to hash.
    #[arg(long, value_parser = parse_size, default_value = "512MiB")]
    size: u64,
}

#[derive(Debug, clap::Args)]
struct IngestArgs {
    /// Server base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// App key.
    #[arg(long)]
    apikey: String,
    /// File size (bytes, or with KiB/MiB/GiB).
    #[arg(long, value_parser = parse_size, default_value = "1GiB")]
    size: u64,
    /// Part size.
    #[arg(long, value_parser = parse_size, default_value = "8MiB")]
    part: u64,
    /// Concurrent part uploaders.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Distinct random part buffers to cycle through (client memory = this × part size).
    #[arg(long, default_value_t = 4)]
    buffers: usize,
    /// Client runtime threads (1 = a single-threaded runtime, the least CPU taken from the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Server process id: report its CPU time and sample its resident memory during the run.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Delete the uploaded file afterwards (DELETE /api/file/{handle}?key=…, not timed).
    #[arg(long)]
    delete_after: bool,
    /// Round label copied into the output.
    #[arg(long, default_value_t = 0)]
    round: u32,
}

#[derive(Debug, clap::Args)]
struct DiskArgs {
    /// Folder to write in (use the server's data folder's filesystem).
    #[arg(long)]
    dir: PathBuf,
    /// File size.
    #[arg(long, value_parser = parse_size, default_value = "1GiB")]
    size: u64,
    /// Block size of each write.
    #[arg(long, value_parser = parse_size, default_value = "8MiB")]
    block: u64,
    /// fsync after every block too (the server fsyncs each part), not only at the end.
    #[arg(long)]
    sync_each: bool,
    /// Bypass the page cache (O_DIRECT): the device's own sequential write speed.
    #[arg(long)]
    direct: bool,
    /// Round label copied into the output.
    #[arg(long, default_value_t = 0)]
    round: u32,
}

#[derive(Debug, clap::Args)]
struct TableArgs {
    /// File of JSON lines from `diskwrite` and `ingest`.
    #[arg(long)]
    results: PathBuf,
    /// Server peak resident memory (VmHWM) in KiB, read after the runs.
    #[arg(long)]
    hwm_kib: Option<u64>,
    /// Lowest acceptable ingest / disk ratio.
    #[arg(long, default_value_t = 0.70)]
    min_ratio: f64,
    /// Highest acceptable server peak RSS, MiB.
    #[arg(long, default_value_t = 100.0)]
    max_rss_mib: f64,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Ingest(a) => ingest::ingest_main(a),
        Cmd::Diskwrite(a) => diskwrite::diskwrite(a),
        Cmd::Table(a) => table::table(a),
        Cmd::Md5(a) => payload::md5_speed(a),
        Cmd::FreePort => sys::free_port(),
    };
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("skiff-bench: {e}");
            std::process::exit(2);
        }
    }
}
