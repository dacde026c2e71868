//! What the bench reads from the operating system: CPU time and memory of processes and of the
//! machine from /proc (Linux; missing files just give None), and a free loopback port.

use crate::Res;
use crate::units::round3;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

const CLOCK_TICKS: f64 = 100.0; // USER_HZ, 100 on every Linux this runs on

/// utime + stime of a process, seconds.
pub(crate) fn proc_cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / CLOCK_TICKS)
}

/// A `Vm*` line of /proc/PID/status, KiB.
pub(crate) fn proc_status_kib(pid: &str, key: &str) -> Option<u64> {
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
pub(crate) fn machine_ticks() -> Option<(u64, u64, u64)> {
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
pub(crate) fn machine_use(
    before: Option<(u64, u64, u64)>,
    after: Option<(u64, u64, u64)>,
) -> Value {
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

/// Polls a process's VmRSS every 10 ms on its own thread; `stop` returns the peak seen, KiB.
#[derive(Debug)]
pub(crate) struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    pub(crate) fn start(pid: String) -> Self {
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

    pub(crate) fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

pub(crate) fn free_port() -> Res<bool> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("{}", l.local_addr()?.port());
    Ok(true)
}
