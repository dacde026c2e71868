//! `skiff-bench`: measures skiff-server's multipart ingest against the raw sequential write speed
//! of the disk it writes to (run the whole comparison with `npm run bench`, i.e. `scripts/bench.sh`).
//!
//! - `ingest`: one file through the regular multipart flow (protocol.md §3), parts `PUT` by N
//!   concurrent workers that pull part numbers from one shared queue. Part bytes and their MD5s
//!   are prepared before the clock starts, so the client does no hashing while timed.
//! - `diskwrite`: writes a file of the same size in big blocks to the given folder, fsyncs it,
//!   deletes it.
//! - `table`: reads the JSON lines both print and prints the markdown result table.

use base64::Engine as _;
use bytes::Bytes;
use clap::{Parser, Subcommand};
use md5::Digest as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Res<T> = Result<T, Error>;

const MIB: f64 = 1024.0 * 1024.0;

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
        Cmd::Ingest(a) => ingest_main(a),
        Cmd::Diskwrite(a) => diskwrite(a),
        Cmd::Table(a) => table(a),
        Cmd::Md5(a) => md5_speed(a),
        Cmd::FreePort => free_port(),
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

/// `123`, `8MiB`, `1GiB`, `512k`, `1.5GiB`.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB, GiB)")),
    };
    Ok((n * mult as f64).round() as u64)
}

/// Deterministic pseudo-random bytes (splitmix64): incompressible, cheap, no extra crate.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn md5_b64(bytes: &[u8]) -> String {
    let digest: [u8; 16] = md5::Md5::digest(bytes).into();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

// ---------------------------------------------------------------------------------------------
// /proc readings (Linux). Missing files just give None.

const CLOCK_TICKS: f64 = 100.0; // USER_HZ, 100 on every Linux this runs on

/// utime + stime of a process, seconds.
fn proc_cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / CLOCK_TICKS)
}

/// A `Vm*` line of /proc/PID/status, KiB.
fn proc_status_kib(pid: &str, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Whole-machine CPU ticks from /proc/stat: (user+nice+system+irq+softirq, iowait, idle).
fn machine_ticks() -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7).unwrap_or(&0);
    Some((busy, *v.get(4)?, *v.get(3)?))
}

/// Machine CPU use between two [`machine_ticks`] readings, as fractions of all cores' time.
fn machine_use(before: Option<(u64, u64, u64)>, after: Option<(u64, u64, u64)>) -> Value {
    match (before, after) {
        (Some(b), Some(a)) => {
            let busy = a.0.saturating_sub(b.0) as f64;
            let iowait = a.1.saturating_sub(b.1) as f64;
            let idle = a.2.saturating_sub(b.2) as f64;
            let total = (busy + iowait + idle).max(1.0);
            json!({ "busy": round3(busy / total), "iowait": round3(iowait / total), "idle": round3(idle / total) })
        }
        _ => Value::Null,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Polls a process's VmRSS every 10 ms on its own thread; `stop` returns the peak seen, KiB.
#[derive(Debug)]
struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(kib) = proc_status_kib(&pid, "VmRSS") {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------------------------
// ingest

/// The part bytes, prepared before timing: `buffers` random buffers of one part each, cycled
/// over the part numbers, with their MD5s; plus the shorter last part when the size is not a
/// multiple of the part size.
#[derive(Debug)]
struct Parts {
    count: u64,
    part_size: u64,
    total: u64,
    full: Vec<(Bytes, String)>,
    last: Option<(Bytes, String)>,
}

impl Parts {
    fn prepare(total: u64, part_size: u64, buffers: usize) -> Self {
        let count = total.div_ceil(part_size);
        let full_count = total / part_size;
        let distinct = (buffers.max(1) as u64).min(full_count.max(1)) as usize;
        let full: Vec<(Bytes, String)> = (0..distinct)
            .map(|i| {
                let b = Bytes::from(random_bytes(part_size as usize, i as u64 + 1));
                let m = md5_b64(&b);
                (b, m)
            })
            .collect();
        let tail = total % part_size;
        let last = (tail > 0).then(|| {
            let b = Bytes::from(random_bytes(tail as usize, 0xFFFF));
            let m = md5_b64(&b);
            (b, m)
        });
        Self {
            count,
            part_size,
            total,
            full,
            last,
        }
    }

    /// Bytes and MD5 of 1-based part `n` (the `Bytes` clone shares the buffer).
    fn get(&self, n: u64) -> (Bytes, &str) {
        if n == self.count {
            if let Some((b, m)) = &self.last {
                return (b.clone(), m);
            }
        }
        let (b, m) = &self.full[((n - 1) % self.full.len() as u64) as usize];
        (b.clone(), m)
    }
}

#[derive(Debug, Default)]
struct PartTimes {
    sign: Vec<Duration>,
    put: Vec<Duration>,
}

fn ingest_main(a: IngestArgs) -> Res<bool> {
    if a.part == 0 || a.size == 0 || a.clients == 0 {
        return Err("size, part and clients must be positive".into());
    }
    let mut builder = if a.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(a.threads);
        b
    };
    let rt = builder.enable_all().build()?;
    rt.block_on(ingest(a))
}

async fn post_json(client: &reqwest::Client, url: &str, body: &Value) -> Res<(u16, Value)> {
    let resp = client.post(url).json(body).send().await?;
    let status = resp.status().as_u16();
    let text = resp.text().await?;
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, value))
}

fn need_ok(what: &str, status: u16, body: &Value) -> Res<()> {
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("{what} answered {status}: {body}").into())
    }
}

fn field<'a>(v: &'a Value, key: &str) -> Res<&'a Value> {
    v.get(key)
        .filter(|x| !x.is_null())
        .ok_or_else(|| format!("response lacks {key:?}: {v}").into())
}

async fn ingest(a: IngestArgs) -> Res<bool> {
    // Only needed when cargo unified reqwest's rustls feature in (plain http is used here).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = a.server.trim_end_matches('/').to_owned();
    let prep_started = Instant::now();
    let parts = Arc::new(Parts::prepare(a.size, a.part, a.buffers));
    let prep_secs = prep_started.elapsed().as_secs_f64();

    // Keep-alive HTTP/1.1 (reqwest without the http2 feature), one pooled connection per worker.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.clients + 2)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(600))
        .build()?;
    // Open the connections before timing, as a long-lived client would have them.
    let mut warm = Vec::new();
    for _ in 0..a.clients {
        let c = client.clone();
        let url = format!("{server}/health");
        warm.push(tokio::spawn(async move {
            c.get(url).send().await.map(|r| r.status().as_u16())
        }));
    }
    for w in warm {
        let status = w.await??;
        if status != 200 {
            return Err(format!("{server}/health answered {status}").into());
        }
    }

    let pid = a.server_pid.map(|p| p.to_string());
    let sampler = pid.clone().map(RssSampler::start);
    let server_cpu_before = pid.as_deref().and_then(proc_cpu_secs);
    let client_cpu_before = proc_cpu_secs("self");
    let machine_before = machine_ticks();
    let filename = format!("skiff-bench-{}.bin", a.round);
    let mimetype = "application/octet-stream";

    // ---- timed from here
    let t0 = Instant::now();
    let (status, start) = post_json(
        &client,
        &format!("{server}/multipart/start"),
        &json!({ "apikey": a.apikey, "filename": filename, "mimetype": mimetype, "size": a.size, "store": { "location": "s3" } }),
    )
    .await?;
    need_ok("start", status, &start)?;
    let session = json!({
        "apikey": a.apikey,
        "uri": field(&start, "uri")?,
        "region": field(&start, "region")?,
        "upload_id": field(&start, "upload_id")?,
    });
    let location = field(&start, "location_url")?
        .as_str()
        .ok_or("location_url is not a string")?;
    let location = if location.starts_with("http") {
        location.to_owned()
    } else {
        format!("http://{location}")
    };
    let location = location.trim_end_matches('/').to_owned();
    let t_started = t0.elapsed();

    let next = Arc::new(AtomicU64::new(1));
    let mut workers = Vec::new();
    for _ in 0..a.clients {
        let (client, parts, next, session) =
            (client.clone(), parts.clone(), next.clone(), session.clone());
        let upload_url = format!("{location}/multipart/upload");
        workers.push(tokio::spawn(async move {
            let mut etags = Vec::new();
            let mut times = PartTimes::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n > parts.count {
                    break;
                }
                let (bytes, md5) = parts.get(n);
                let mut req = session.clone();
                req["part"] = json!(n);
                req["size"] = json!(bytes.len());
                req["md5"] = json!(md5);
                req["store"] = json!({ "location": "s3" });
                let s0 = Instant::now();
                let (status, signed) = post_json(&client, &upload_url, &req).await?;
                need_ok(&format!("upload (part {n})"), status, &signed)?;
                let url = field(&signed, "url")?
                    .as_str()
                    .ok_or("url is not a string")?;
                let mut put = client.put(url);
                if let Some(h) = signed.get("headers").and_then(Value::as_object) {
                    for (k, v) in h {
                        put = put.header(k.as_str(), v.as_str().unwrap_or_default());
                    }
                }
                let p0 = Instant::now();
                times.sign.push(p0 - s0);
                let resp = put.body(bytes).send().await?;
                let status = resp.status();
                let etag = resp
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let text = resp.text().await?;
                times.put.push(p0.elapsed());
                if !status.is_success() {
                    return Err::<_, Error>(
                        format!("PUT part {n} answered {status}: {text}").into(),
                    );
                }
                etags.push((n, etag.ok_or_else(|| format!("PUT part {n} gave no ETag"))?));
            }
            Ok((etags, times))
        }));
    }
    let mut etags = Vec::new();
    let mut times = PartTimes::default();
    for w in workers {
        let (e, t) = w.await??;
        etags.extend(e);
        times.sign.extend(t.sign);
        times.put.extend(t.put);
    }
    etags.sort();
    let t_parts = t0.elapsed();

    let mut complete = session.clone();
    complete["filename"] = json!(filename);
    complete["mimetype"] = json!(mimetype);
    complete["size"] = json!(a.size);
    complete["store"] = json!({ "location": "s3" });
    complete["parts"] = etags
        .iter()
        .map(|(n, e)| json!({ "part_number": n, "etag": e }))
        .collect();
    let complete_url = format!("{location}/multipart/complete");
    let done = loop {
        let (status, body) = post_json(&client, &complete_url, &complete).await?;
        if status == 202 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        need_ok("complete", status, &body)?;
        break body;
    };
    let elapsed = t0.elapsed();
    // ---- timed until here

    let machine_after = machine_ticks();
    let client_cpu = proc_cpu_secs("self")
        .zip(client_cpu_before)
        .map(|(a, b)| round3(a - b));
    let server_cpu = pid
        .as_deref()
        .and_then(proc_cpu_secs)
        .zip(server_cpu_before)
        .map(|(a, b)| round3(a - b));
    let rss_peak_kib = sampler.map(RssSampler::stop);

    let handle = field(&done, "handle")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let size = done.get("size").and_then(Value::as_u64);
    if size != Some(parts.total) {
        return Err(format!("complete reports size {size:?}, uploaded {}", parts.total).into());
    }
    let deleted = if a.delete_after {
        let url = format!("{server}/api/file/{handle}?key={}", a.apikey);
        let resp = client.delete(url).send().await?;
        if !resp.status().is_success() {
            return Err(format!("DELETE {handle} answered {}", resp.status()).into());
        }
        true
    } else {
        false
    };

    let secs = elapsed.as_secs_f64();
    let mean =
        |v: &[Duration]| v.iter().map(Duration::as_secs_f64).sum::<f64>() / v.len().max(1) as f64;
    let max = |v: &[Duration]| v.iter().map(Duration::as_secs_f64).fold(0.0, f64::max);
    let out = json!({
        "kind": "ingest",
        "round": a.round,
        "bytes": parts.total,
        "seconds": secs,
        "mib_per_s": parts.total as f64 / MIB / secs,
        "parts": parts.count,
        "part_size": parts.part_size,
        "clients": a.clients,
        "handle": handle,
        "deleted": deleted,
        "phases_s": {
            "start": round3(t_started.as_secs_f64()),
            "parts": round3((t_parts - t_started).as_secs_f64()),
            "complete": round3((elapsed - t_parts).as_secs_f64()),
        },
        "part_latency_s": {
            "upload_call_mean": round3(mean(&times.sign)),
            "upload_call_max": round3(max(&times.sign)),
            "put_mean": round3(mean(&times.put)),
            "put_max": round3(max(&times.put)),
        },
        "prepare_s": round3(prep_secs),
        "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
        "server_rss_peak_kib": rss_peak_kib,
        "machine_cpu": machine_use(machine_before, machine_after),
    });
    println!("{out}");
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// diskwrite

fn diskwrite(a: DiskArgs) -> Res<bool> {
    if a.block == 0 || a.size == 0 {
        return Err("size and block must be positive".into());
    }
    if a.direct && (a.block % 4096 != 0 || a.size % 4096 != 0) {
        return Err("--direct needs size and block to be multiples of 4096".into());
    }
    std::fs::create_dir_all(&a.dir)?;
    // Same number of distinct buffers as the ingest client uses; random so nothing compresses.
    // Each is over-allocated so a 4096-aligned window exists (O_DIRECT needs aligned memory).
    let block = a.block as usize;
    let blocks: Vec<(Vec<u8>, usize)> = (0..4)
        .map(|i| {
            let v = random_bytes(block + 4096, 100 + i);
            let off = v.as_ptr().align_offset(4096);
            (v, off)
        })
        .collect();
    let views: Vec<&[u8]> = blocks
        .iter()
        .map(|(v, off)| &v[*off..*off + block])
        .collect();
    let path = a.dir.join(format!(
        ".skiff-bench-diskwrite-{}-{}",
        std::process::id(),
        a.round
    ));
    let result = write_timed(&path, &views, a.size, a.sync_each, a.direct);
    let _ = std::fs::remove_file(&path);
    let t = result?;
    let secs = t.total;
    let out = json!({
        "kind": if a.direct { "disk_direct" } else { "disk" },
        "round": a.round,
        "bytes": a.size,
        "seconds": secs,
        "mib_per_s": a.size as f64 / MIB / secs,
        "block": a.block,
        "sync_each": a.sync_each,
        "direct": a.direct,
        "phases_s": { "write": round3(t.write), "fsync": round3(t.total - t.write) },
        "machine_cpu": t.machine,
    });
    println!("{out}");
    Ok(true)
}

#[derive(Debug)]
struct WriteTimes {
    write: f64,
    total: f64,
    machine: Value,
}

#[cfg(target_os = "linux")]
fn o_direct() -> Res<i32> {
    if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
        Ok(0o40000)
    } else if cfg!(any(target_arch = "aarch64", target_arch = "arm")) {
        Ok(0o200000)
    } else {
        Err("--direct: O_DIRECT value unknown for this architecture".into())
    }
}

#[cfg(not(target_os = "linux"))]
fn o_direct() -> Res<i32> {
    Err("--direct is only supported on Linux".into())
}

fn open_for_write(path: &Path, direct: bool) -> Res<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if direct {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.custom_flags(o_direct()?);
    }
    #[cfg(not(unix))]
    if direct {
        return Err("--direct is only supported on Linux".into());
    }
    Ok(o.open(path)?)
}

fn write_timed(
    path: &Path,
    blocks: &[&[u8]],
    size: u64,
    sync_each: bool,
    direct: bool,
) -> Res<WriteTimes> {
    let machine_before = machine_ticks();
    let t0 = Instant::now();
    let mut f = open_for_write(path, direct)?;
    let mut left = size;
    let mut i = 0;
    while left > 0 {
        let b = blocks[i % blocks.len()];
        let n = (b.len() as u64).min(left) as usize;
        f.write_all(&b[..n])?;
        if sync_each {
            f.sync_data()?;
        }
        left -= n as u64;
        i += 1;
    }
    let write = t0.elapsed().as_secs_f64();
    f.sync_all()?;
    drop(f);
    let total = t0.elapsed().as_secs_f64();
    Ok(WriteTimes {
        write,
        total,
        machine: machine_use(machine_before, machine_ticks()),
    })
}

// ---------------------------------------------------------------------------------------------
// md5, free-port

fn md5_speed(a: Md5Args) -> Res<bool> {
    let buf = random_bytes(8 << 20, 7);
    let rounds = a.size.div_ceil(buf.len() as u64).max(1);
    let t0 = Instant::now();
    let mut h = md5::Md5::new();
    for _ in 0..rounds {
        h.update(&buf);
    }
    let digest: [u8; 16] = h.finalize().into();
    let secs = t0.elapsed().as_secs_f64();
    let bytes = rounds * buf.len() as u64;
    println!(
        "{}",
        json!({ "kind": "md5", "bytes": bytes, "seconds": secs, "mib_per_s": bytes as f64 / MIB / secs, "digest0": digest[0] })
    );
    Ok(true)
}

fn free_port() -> Res<bool> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("{}", l.local_addr()?.port());
    Ok(true)
}

// ---------------------------------------------------------------------------------------------
// table

fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    })
}

fn table(a: TableArgs) -> Res<bool> {
    let text = std::fs::read_to_string(&a.results)?;
    let mut by_kind: HashMap<String, Vec<Value>> = HashMap::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let v: Value = serde_json::from_str(line)?;
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        by_kind.entry(kind).or_default().push(v);
    }
    let rates = |kind: &str| -> Vec<f64> {
        by_kind
            .get(kind)
            .map(|v| {
                v.iter()
                    .filter_map(|x| x.get("mib_per_s")?.as_f64())
                    .collect()
            })
            .unwrap_or_default()
    };
    let disk = rates("disk");
    let ingest = rates("ingest");
    let (Some(disk_med), Some(ingest_med)) = (median(&disk), median(&ingest)) else {
        return Err("need at least one disk and one ingest result".into());
    };
    let ratio = ingest_med / disk_med;
    let ratio_ok = ratio >= a.min_ratio;
    let polled_peak = by_kind
        .get("ingest")
        .map(|v| {
            v.iter()
                .filter_map(|x| x.get("server_rss_peak_kib")?.as_u64())
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let rss_kib = a.hwm_kib.unwrap_or(0).max(polled_peak);
    let rss_mib = rss_kib as f64 / 1024.0;
    let rss_ok = rss_kib > 0 && rss_mib < a.max_rss_mib;
    let per_round = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let round_ratios: Vec<String> = disk
        .iter()
        .zip(&ingest)
        .map(|(d, i)| format!("{:.2}", i / d))
        .collect();
    let mark = |ok: bool| if ok { "PASS" } else { "FAIL" };

    let size = by_kind["ingest"][0]
        .get("bytes")
        .and_then(Value::as_u64)
        .unwrap_or(0) as f64
        / MIB;
    let part = by_kind["ingest"][0]
        .get("part_size")
        .and_then(Value::as_u64)
        .unwrap_or(0) as f64
        / MIB;
    let clients = by_kind["ingest"][0]
        .get("clients")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    println!(
        "{} rounds, interleaved (disk write, then ingest); {size:.0} MiB file, {part:.0} MiB parts, {clients} concurrent clients, loopback\n",
        ingest.len()
    );
    println!("| metric | per round | median | target | result |");
    println!("|---|---|---|---|---|");
    println!(
        "| raw sequential disk write (MiB/s, fsync at end) | {} | {disk_med:.0} | — | — |",
        per_round(&disk)
    );
    println!(
        "| skiff-server ingest (MiB/s, start → parts → complete) | {} | {ingest_med:.0} | — | — |",
        per_round(&ingest)
    );
    println!(
        "| ratio ingest / disk | {} | {ratio:.2} | ≥ {:.2} | {} |",
        round_ratios.join(" / "),
        a.min_ratio,
        mark(ratio_ok)
    );
    println!(
        "| server peak RSS (MiB, VmHWM over the whole run) | — | {rss_mib:.1} | < {:.0} | {} |",
        a.max_rss_mib,
        mark(rss_ok)
    );

    // Where the time goes: CPU use of both sides and of the machine during the timed windows.
    let ing = &by_kind["ingest"];
    let med_of =
        |f: &dyn Fn(&Value) -> Option<f64>| median(&ing.iter().filter_map(f).collect::<Vec<_>>());
    let fmt = |x: Option<f64>, unit: &str| {
        x.map(|x| format!("{x:.2}{unit}"))
            .unwrap_or_else(|| "n/a".into())
    };
    let gib = |v: &Value| {
        v.get("bytes")
            .and_then(Value::as_f64)
            .map(|b| b / (1u64 << 30) as f64)
    };
    println!("\nDiagnostics (medians over the ingest rounds):\n");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| server CPU time per GiB ingested (user+sys) | {} |",
        fmt(
            med_of(&|v| Some(v.get("server_cpu_s")?.as_f64()? / gib(v)?)),
            " s"
        )
    );
    println!(
        "| client CPU time per GiB (pre-hashed, 1 thread) | {} |",
        fmt(
            med_of(&|v| Some(v.get("client_cpu_s")?.as_f64()? / gib(v)?)),
            " s"
        )
    );
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "| machine CPU busy / iowait during ingest ({nproc} cores) | {} / {} |",
        fmt(
            med_of(&|v| Some(v.pointer("/machine_cpu/busy")?.as_f64()? * 100.0)),
            " %"
        ),
        fmt(
            med_of(&|v| Some(v.pointer("/machine_cpu/iowait")?.as_f64()? * 100.0)),
            " %"
        )
    );
    let disks = by_kind.get("disk").map(Vec::as_slice).unwrap_or_default();
    println!(
        "| machine CPU busy / iowait during disk write | {} / {} |",
        fmt(
            median(
                &disks
                    .iter()
                    .filter_map(|v| Some(v.pointer("/machine_cpu/busy")?.as_f64()? * 100.0))
                    .collect::<Vec<_>>()
            ),
            " %"
        ),
        fmt(
            median(
                &disks
                    .iter()
                    .filter_map(|v| Some(v.pointer("/machine_cpu/iowait")?.as_f64()? * 100.0))
                    .collect::<Vec<_>>()
            ),
            " %"
        )
    );
    println!(
        "| part PUT latency mean / max | {} / {} |",
        fmt(
            med_of(&|v| v.pointer("/part_latency_s/put_mean")?.as_f64()),
            " s"
        ),
        fmt(
            med_of(&|v| v.pointer("/part_latency_s/put_max")?.as_f64()),
            " s"
        )
    );
    let direct = by_kind.get("disk_direct").map(|v| {
        v.iter()
            .filter_map(|x| x.get("mib_per_s")?.as_f64())
            .collect::<Vec<_>>()
    });
    if let Some(d) = direct.as_deref().and_then(median) {
        println!(
            "| device write speed without the page cache (O_DIRECT, 8 MiB writes) | {} MiB/s, median {d:.0} (ingest = {:.2} of it) |",
            per_round(direct.as_deref().unwrap_or_default()),
            ingest_med / d
        );
    }
    let fsync_share = median(
        &disks
            .iter()
            .filter_map(|v| {
                Some(v.pointer("/phases_s/fsync")?.as_f64()? / v.get("seconds")?.as_f64()? * 100.0)
            })
            .collect::<Vec<_>>(),
    );
    println!(
        "| share of the raw disk write's time spent in the final fsync | {} |",
        fmt(fsync_share, " %")
    );
    if let Some(m) = by_kind.get("md5").and_then(|v| {
        median(
            &v.iter()
                .filter_map(|x| x.get("mib_per_s")?.as_f64())
                .collect::<Vec<_>>(),
        )
    }) {
        println!("| MD5 speed, one core (md-5 crate, as the server uses) | {m:.0} MiB/s |");
        println!(
            "| ingest ceiling if {nproc} cores did nothing but MD5 | {:.0} MiB/s ({:.2} of the disk median) |",
            m * nproc as f64,
            m * nproc as f64 / disk_med
        );
    }
    Ok(ratio_ok && rss_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn parts_cover_the_file() {
        let p = Parts::prepare(10 * 1024 + 7, 1024, 3);
        assert_eq!(p.count, 11);
        let total: usize = (1..=p.count).map(|n| p.get(n).0.len()).sum();
        assert_eq!(total as u64, p.total);
        assert_eq!(p.get(1).1, md5_b64(&p.get(4).0));
        assert_ne!(p.get(1).0, p.get(2).0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
