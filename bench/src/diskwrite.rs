//! The `diskwrite` command: the raw sequential write speed of a folder's disk — a file of the
//! upload's size written in big blocks, fsynced, deleted (optionally with O_DIRECT).

use crate::payload::random_bytes;
use crate::sys::{machine_ticks, machine_use};
use crate::units::{MIB, round3};
use crate::{DiskArgs, Res};
use serde_json::{Value, json};
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

pub(crate) fn diskwrite(a: DiskArgs) -> Res<bool> {
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
