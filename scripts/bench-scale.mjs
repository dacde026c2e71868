#!/usr/bin/env node
// Scale-out benchmark (`npm run bench`), everything in one run on this machine:
//
//  1. Direct to the bucket: 1 GiB in 8 MiB parts from 4 clients at once, each part sent to the
//     presigned SeaweedFS URL skiff-server hands out (start, upload call, PUT, complete), against
//     the same parts PUT by a minimal client to URLs presigned before its clock starts.
//     Target: Skiff ≥ 0.9 × the minimal client.
//  2. The same load (regular: parts to the bucket; intelligent: every byte through the server)
//     on two instances sharing PostgreSQL behind HAProxy, against one instance on SQLite: time,
//     the ratio, the instances' CPU seconds per GiB, and each instance's peak RSS (target < 100 MiB).
//
// Both clients hash nothing in the clock: every part's MD5 is computed before. The balancer's
// certificate is a throw-away self-signed one on loopback, so TLS checks are off in this process.
//
//   node scripts/bench-scale.mjs      BENCH_SIZE_MIB (1024), BENCH_ROUNDS (3)
//
// Exit status 1 when a target is missed.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer } from '../tests/e2e/support/server.mjs';
import { startSeaweed } from '../tests/e2e/support/seaweed.mjs';
import { startPostgres } from '../tests/e2e/support/postgres.mjs';
import { startBalancer } from '../tests/e2e/support/balancer.mjs';

process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 1024) * MiB;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PART = 8 * MiB;
const CLIENTS = 4;
const PER_CLIENT = SIZE / CLIENTS;

// Eight distinct 8 MiB parts, cycled, with their MD5s: enough variety, little memory.
const PARTS = Array.from({ length: 8 }, () => {
  const bytes = randomBytes(PART);
  return { bytes, md5: createHash('md5').update(bytes).digest('base64') };
});
const part = (n) => PARTS[n % PARTS.length];

const post = async (url, body) => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${url}: ${r.status} ${text}`);
  return JSON.parse(text);
};
const put = async (url, headers, body) => {
  const r = await fetch(url, { method: 'PUT', headers, body });
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`PUT ${url}: ${r.status}`);
  return r.headers.get('etag');
};
const baseOf = (start) => (start.location_url.includes('://') ? start.location_url : `https://${start.location_url}`);

/** One client's upload of PER_CLIENT bytes through the protocol, one part on the wire at a time;
 * with `fii`, as chunks. */
async function upload(base, apikey, fii) {
  const start = await post(`${base}/multipart/start`, { apikey, filename: 'bench.bin', mimetype: 'application/octet-stream',
    size: PER_CLIENT, store: { location: 's3' }, ...(fii ? { fii: true } : {}) });
  const api = baseOf(start);
  const session = { apikey, uri: start.uri, region: start.region, upload_id: start.upload_id, store: { location: 's3' } };
  const parts = [];
  const count = PER_CLIENT / PART;
  const ask = (n) => post(`${api}/multipart/upload`, { ...session, part: n, size: PART, md5: part(n).md5, ...(fii ? { fii: true, offset: 0 } : {}) });
  // As Skiff's engine does, the next part's upload call is under way while a part is sent.
  let next = ask(1);
  for (let n = 1; n <= count; n++) {
    const grant = await next;
    if (n < count) next = ask(n + 1);
    const etag = await put(grant.url, grant.headers, part(n).bytes);
    if (fii) await post(`${api}/multipart/commit`, { ...session, part: n, size: PER_CLIENT });
    else parts.push({ part_number: n, etag });
  }
  const done = await post(`${api}/multipart/complete`, { ...session, filename: 'bench.bin', mimetype: 'application/octet-stream',
    size: PER_CLIENT, ...(fii ? { fii: true } : { parts }) });
  if (done.size !== PER_CLIENT) throw new Error(`complete: ${JSON.stringify(done)}`);
}

/** The minimal client: every part's presigned URL asked for first; the clock covers the PUTs. */
async function minimal(base, apikey) {
  const grants = [];
  for (let c = 0; c < CLIENTS; c++) {
    const start = await post(`${base}/multipart/start`, { apikey, filename: 'min.bin', mimetype: 'application/octet-stream',
      size: PER_CLIENT, store: { location: 's3' } });
    const session = { apikey, uri: start.uri, region: start.region, upload_id: start.upload_id, store: { location: 's3' } };
    const list = [];
    for (let n = 1; n <= PER_CLIENT / PART; n++) {
      list.push({ n, grant: await post(`${baseOf(start)}/multipart/upload`, { ...session, part: n, size: PART, md5: part(n).md5 }) });
    }
    grants.push(list);
  }
  const t0 = performance.now();
  await Promise.all(grants.map(async (list) => { for (const { n, grant } of list) await put(grant.url, grant.headers, part(n).bytes); }));
  return (performance.now() - t0) / 1000;
}

/** CPU seconds (user + system) of a process so far. */
function cpu(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples the RSS of `pids` until stopped; the peaks in MiB. */
function rssWatch(pids) {
  const peak = Object.fromEntries(pids.map((p) => [p, 0]));
  const timer = setInterval(() => {
    for (const p of pids) {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) peak[p] = Math.max(peak[p], Number(m[1]) / 1024);
    }
  }, 50);
  return () => { clearInterval(timer); return peak; };
}

/** Runs the 4-client load `ROUNDS` times against `base`; median seconds, CPU s/GiB, peak RSS. */
async function load(base, apikey, fii, instances) {
  const times = [];
  const cpu0 = instances.reduce((s, i) => s + cpu(i.pid), 0);
  const stop = rssWatch(instances.map((i) => i.pid));
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, () => upload(base, apikey, fii)));
    times.push((performance.now() - t0) / 1000);
  }
  const peaks = stop();
  const cpuPerGiB = (instances.reduce((s, i) => s + cpu(i.pid), 0) - cpu0) / ((ROUNDS * SIZE) / (1024 * MiB));
  times.sort((a, b) => a - b);
  return { s: times[Math.floor(times.length / 2)], cpuPerGiB, rss: Math.max(...Object.values(peaks)) };
}

const mibps = (s) => (SIZE / MiB / s).toFixed(0);
const work = mkdtempSync(join(tmpdir(), 'skiff-bench-scale-'));
const stops = [];
let failed = false;
try {
  const [s3, pg] = await Promise.all([startSeaweed({ bucket: 'bench' }), startPostgres()]);
  stops.push(() => s3.stop(), () => pg.remove());
  const storage = s3.storageToml({ prefix: 'bench' });
  const sqliteToml = join(work, 'sqlite.toml');
  const pgToml = join(work, 'pg.toml');
  writeFileSync(sqliteToml, `${storage}\n`);
  writeFileSync(pgToml, `${storage}\n\n[state]\nkind = "postgres"\nurl = "${pg.url}"\n`);
  const env = { RUST_LOG: 'warn' };
  Object.assign(process.env, env);

  const one = await startServer({ name: 'sqlite', extraArgs: ['--config', sqliteToml] });
  stops.push(() => one.stop());
  const lbPort = await freePort();
  const lbArgs = ['--config', pgToml, '--public-url', `https://127.0.0.1:${lbPort}`];
  const a = await startServer({ name: 'pg-a', extraArgs: lbArgs });
  const b = await startServer({ name: 'pg-b', extraArgs: lbArgs });
  stops.push(() => a.stop(), () => b.stop());
  const lb = await startBalancer([a.port, b.port], { port: lbPort });
  stops.push(() => lb.stop());

  // 1. Presigned through skiff-server vs presigned in advance.
  await upload(one.url, one.apikey, false); // warm-up
  const mins = [];
  for (let r = 0; r < ROUNDS; r++) mins.push(await minimal(one.url, one.apikey));
  mins.sort((x, y) => x - y);
  const minS = mins[Math.floor(mins.length / 2)];
  const direct = await load(one.url, one.apikey, false, [one]);
  const ratio = minS / direct.s;
  console.log(`\n${SIZE / MiB} MiB = ${CLIENTS} clients × ${PER_CLIENT / MiB} MiB in ${PART / MiB} MiB parts, straight to SeaweedFS, median of ${ROUNDS}\n`);
  console.log('| client | time | MiB/s | vs minimal |');
  console.log('|---|---:|---:|---:|');
  console.log(`| minimal: URLs presigned in advance, PUTs only | ${minS.toFixed(2)} s | ${mibps(minS)} | 1.00 × |`);
  console.log(`| Skiff protocol: start, upload call + PUT per part, complete | ${direct.s.toFixed(2)} s | ${mibps(direct.s)} | ${ratio.toFixed(2)} × |`);
  if (ratio < 0.9) { failed = true; console.log('\nmissed: Skiff through presigned URLs must reach 0.9 × the minimal client'); }

  // 2. Two instances on PostgreSQL behind HAProxy vs one on SQLite.
  console.log(`\nThe same load on one instance (SQLite) and on two (PostgreSQL, behind HAProxy with TLS), median of ${ROUNDS}\n`);
  console.log('| mode | setup | time | MiB/s | vs one on SQLite | instances\' CPU per GiB | peak RSS per instance |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const fii of [false, true]) {
    const mode = fii ? 'intelligent (bytes through the server)' : 'regular (parts to the bucket)';
    const single = fii ? await load(one.url, one.apikey, true, [one]) : direct;
    const pair = await load(lb.url, a.apikey, fii, [a, b]);
    for (const [setup, m] of [['1 × SQLite', single], ['2 × PostgreSQL + HAProxy', pair]]) {
      console.log(`| ${mode} | ${setup} | ${m.s.toFixed(2)} s | ${mibps(m.s)} | ${(single.s / m.s).toFixed(2)} × | ${m.cpuPerGiB.toFixed(2)} s | ${m.rss.toFixed(1)} MiB |`);
      if (m.rss >= 100) { failed = true; console.log(`missed: ${setup} peaked at ${m.rss.toFixed(1)} MiB (target < 100)`); }
    }
  }
} finally {
  for (const stop of stops.reverse()) {
    try { await stop(); } catch (e) { console.error('bench cleanup:', e.message); }
  }
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
