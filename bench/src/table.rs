//! The `table` command: reads the JSON lines of the `diskwrite`, `ingest` and `md5` runs and
//! prints the markdown result table (medians, ratio, targets) and the diagnostics below it.

use crate::units::MIB;
use crate::{Res, TableArgs};
use serde_json::Value;
use std::collections::HashMap;

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

pub(crate) fn table(a: TableArgs) -> Res<bool> {
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
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
