//! The `ingest` command: one file through the multipart flow (docs/protocol.md §3), parts `PUT` by N
//! concurrent workers that pull part numbers from one shared queue, timed start → complete.

use crate::payload::Parts;
use crate::sys::{RssSampler, machine_ticks, machine_use, proc_cpu_secs};
use crate::units::{MIB, round3};
use crate::{Error, IngestArgs, Res};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct PartTimes {
    sign: Vec<Duration>,
    put: Vec<Duration>,
}

pub(crate) fn ingest_main(a: IngestArgs) -> Res<bool> {
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
