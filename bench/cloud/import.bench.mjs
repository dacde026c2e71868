// Cloud import benchmark (`npm run bench`): skiff-server importing one big file through the Cloud
// API (`POST /store/`) from the owner's WebDAV server (rclone) and from an S3 bucket (SeaweedFS),
// side by side in one run with a plain download of the same file from the same server (curl to
// /dev/null), with the server's peak RSS while it imports.
//
// A real @uppy/companion imports the same WebDAV file into the same server (its multipart form
// upload to /api/store/S3), which is what a self-hoster would otherwise run (bench/cloud/companion.mjs).
//
//   Targets: each import ≥ 0.80 × the plain download's throughput, and faster than Companion;
//   server peak RSS < 100 MiB.
//
// Knobs: BENCH_IMPORT_MIB (1024), BENCH_ROUNDS (3), BENCH_DIR (folder for the temporary files;
// default the workspace's target/, the disk the project lives on). Needs rclone, SeaweedFS
// (SKIFF_WEED or `weed`), curl and the release server. Exit status 1 when a target is missed.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT, freePort, startServer } from '../../tests/e2e/support/server.mjs';
import { startWebdav } from '../../tests/e2e/support/webdav.mjs';
import { companionImport, startCompanion } from './companion.mjs';

const MIB = 1024 * 1024;
const SIZE_MIB = Number(process.env.BENCH_IMPORT_MIB ?? 1024);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BASE = process.env.BENCH_DIR ?? join(REPO_ROOT, 'target');
const WEED = process.env.SKIFF_WEED ?? 'weed';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.error('[bench:cloud]', ...a);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A file of `mib` MiB of random bytes (so no layer can compress it). */
function bigFile(path, mib) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(8 * MIB);
  for (let left = mib * MIB; left > 0; left -= chunk.length) {
    randomFillSync(chunk);
    writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  }
  closeSync(fd);
}

/** SeaweedFS with a bucket `picks` (credentials from s3.json); the file put through its filer. */
async function startWeed(dir, file) {
  const s3Port = await freePort();
  writeFileSync(join(dir, 's3.json'), JSON.stringify({ identities: [{ name: 'bench',
    credentials: [{ accessKey: 'bench-key', secretKey: 'bench-secret' }], actions: ['Admin', 'Read', 'List', 'Write'] }] }));
  const child = spawn(WEED, ['mini', `-dir=${join(dir, 'weed')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1', `-s3.port=${s3Port}`,
    `-s3.config=${join(dir, 's3.json')}`, '-master.telemetry=false', '-webdav=false', '-admin.ui=false',
    '-s3.port.iceberg=0', '-s3.port.lance=0'], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${s3Port}`;
  for (let i = 0; ; i++) {
    try { await fetch(endpoint); break; } catch { if (i > 240) throw new Error('weed mini did not start'); await sleep(250); }
  }
  const shell = spawnSync(WEED, ['shell', '-master=127.0.0.1:9333'], { input: 's3.bucket.create -name picks\n', encoding: 'utf8' });
  if (!/created bucket/.test(shell.stdout)) throw new Error(`weed shell: ${shell.stdout}${shell.stderr}`);
  // The filer serves buckets as folders: a file put there is an object of the bucket.
  const put = spawnSync('curl', ['-sS', '-f', '-F', `file=@${file}`, 'http://127.0.0.1:8888/buckets/picks/bench/'], { encoding: 'utf8' });
  if (put.status !== 0) throw new Error(`putting the file into the bucket: ${put.stderr}`);
  return { endpoint, plainUrl: 'http://127.0.0.1:8888/buckets/picks/bench/big.bin', stop: () => child.kill() };
}

/** Seconds a curl download of `url` to /dev/null takes. */
function curlSeconds(url, auth) {
  const args = ['-sS', '-f', '-o', '/dev/null', '-w', '%{time_total}', url];
  if (auth) args.unshift('-u', auth);
  const r = spawnSync('curl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`curl ${url}: ${r.stderr}`);
  return Number(r.stdout);
}

/** Seconds a copy of `file` into `dir` takes with `dd ... conv=fsync` (what storing costs the disk). */
function diskSeconds(file, dir) {
  const out = join(dir, 'disk-copy.bin');
  const t0 = performance.now();
  const r = spawnSync('dd', [`if=${file}`, `of=${out}`, 'bs=8M', 'conv=fsync', 'status=none']);
  const s = (performance.now() - t0) / 1000;
  rmSync(out, { force: true });
  if (r.status !== 0) throw new Error(`dd: ${r.stderr}`);
  return s;
}

/** Seconds `md5sum` takes over `file` (one core; an import hashes every byte too). */
function md5Seconds(file) {
  const t0 = performance.now();
  const r = spawnSync('md5sum', [file], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('md5sum failed');
  return (performance.now() - t0) / 1000;
}

/** Peak RSS of `pid` (VmRSS sampled every 20 ms) while `fn` runs; returns [fn's value, MiB]. */
async function withPeakRss(pid, fn) {
  let peak = 0;
  const sample = () => {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    if (m) peak = Math.max(peak, Number(m[1]) / 1024);
  };
  const timer = setInterval(sample, 20);
  try {
    sample();
    return [await fn(), peak];
  } finally {
    clearInterval(timer);
  }
}

/** Seconds one `/store/` import of `path` from `source` takes; checks the stored size. */
async function importSeconds(server, source, path) {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/store/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apikey: server.apikey, clouds: { [source]: { path } } }),
  });
  const body = await res.json();
  const s = (performance.now() - t0) / 1000;
  if (!res.ok) throw new Error(`import from ${source}: ${res.status} ${JSON.stringify(body)}`);
  const file = body[source];
  if (file.size !== SIZE_MIB * MIB) throw new Error(`import from ${source}: stored ${file.size} bytes`);
  await fetch(`${server.url}/api/file/${file.handle}?key=${server.apikey}`, { method: 'DELETE' });
  return s;
}

async function main() {
  mkdirSync(BASE, { recursive: true });
  const dir = mkdtempSync(join(BASE, 'bench-cloud-'));
  const stops = [];
  try {
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    const file = join(tree, 'big.bin');
    log(`writing a ${SIZE_MIB} MiB file`);
    bigFile(file, SIZE_MIB);
    const dav = await startWebdav(tree, { user: 'u', pass: 'p' });
    stops.push(() => dav.stop());
    const weed = await startWeed(dir, file);
    stops.push(() => weed.stop());
    const config = join(dir, 'skiff.toml');
    writeFileSync(config, `[sources.webdav]\nurl = "${dav.url}"\nusername = "u"\npassword = "p"\n` +
      `[sources.customsource]\nendpoint = "${weed.endpoint}"\nbucket = "picks"\nprefix = "bench/"\n` +
      'access_key_id = "bench-key"\nsecret_access_key = "bench-secret"\n');
    const server = await startServer({ name: 'bench-cloud', extraArgs: ['--config', config] });
    stops.push(() => server.stop());
    // Companion's WebDAV login takes a public URL: the same tree, served without credentials.
    const openDav = await startWebdav(tree, { user: null });
    stops.push(() => openDav.stop());
    const companion = await startCompanion(join(dir, 'companion'));
    stops.push(() => companion.stop());
    const companionTimes = [];

    const rows = { webdav: { plain: [], skiff: [] }, customsource: { plain: [], skiff: [] } };
    const disk = [];
    const md5 = [];
    let peak = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}`);
      disk.push(diskSeconds(file, server.data));
      md5.push(md5Seconds(file));
      rows.webdav.plain.push(curlSeconds(`${dav.url}big.bin`, 'u:p'));
      rows.customsource.plain.push(curlSeconds(weed.plainUrl));
      for (const source of ['webdav', 'customsource']) {
        const [s, rss] = await withPeakRss(server.pid, () => importSeconds(server, source, '/big.bin'));
        rows[source].skiff.push(s);
        peak = Math.max(peak, rss);
      }
      const endpoint = `${server.url}/api/store/S3?key=${server.apikey}`;
      const [cs, stored] = await companionImport(companion, openDav.url, '/big.bin', endpoint, SIZE_MIB * MIB);
      if (stored.size !== SIZE_MIB * MIB) throw new Error(`Companion stored ${stored.size} bytes`);
      await fetch(`${server.url}/api/file/${stored.handle}?key=${server.apikey}`, { method: 'DELETE' });
      companionTimes.push(cs);
    }
    const mbps = (s) => (SIZE_MIB * MIB) / s / 1e6;
    const lines = [
      `## Cloud import: ${SIZE_MIB} MiB, median of ${ROUNDS} rounds (loopback)`,
      '',
      '| source | plain download (curl) | Skiff /store/ import | ratio (target ≥ 0.80) |',
      '|---|---|---|---|',
    ];
    let missed = false;
    for (const [source, r] of Object.entries(rows)) {
      const plain = median(r.plain);
      const skiff = median(r.skiff);
      const ratio = plain / skiff;
      missed ||= ratio < 0.8;
      lines.push(`| ${source} | ${plain.toFixed(2)} s (${mbps(plain).toFixed(0)} MB/s) | ${skiff.toFixed(2)} s (${mbps(skiff).toFixed(0)} MB/s) | ${ratio.toFixed(2)}× ${ratio >= 0.8 ? 'ok' : 'MISSED'} |`);
    }
    const comp = median(companionTimes);
    const skiffDav = median(rows.webdav.skiff);
    const vsCompanion = comp / skiffDav;
    missed ||= vsCompanion <= 1;
    lines.push('', '| WebDAV into skiff-server | time | throughput | Skiff faster by (target > 1) |', '|---|---|---|---|');
    lines.push(`| @uppy/companion 6.2.2 (multipart form to /api/store) | ${comp.toFixed(2)} s | ${mbps(comp).toFixed(0)} MB/s | |`);
    lines.push(`| Skiff /store/ | ${skiffDav.toFixed(2)} s | ${mbps(skiffDav).toFixed(0)} MB/s | ${vsCompanion.toFixed(2)}× ${vsCompanion > 1 ? 'ok' : 'MISSED'} |`);
    missed ||= peak >= 100;
    const d = median(disk);
    const h = median(md5);
    lines.push('', `For scale, not targets: copying the file onto the server's disk with fsync (dd conv=fsync) takes ${d.toFixed(2)} s (${mbps(d).toFixed(0)} MB/s), and md5sum over it ${h.toFixed(2)} s (${mbps(h).toFixed(0)} MB/s). An import writes, fsyncs and hashes every byte, so it cannot be faster than the slower of the two; the 0.80 × target would need it under ${(median(rows.webdav.plain) / 0.8).toFixed(2)} s.`);
    lines.push('', `Server peak RSS while importing: ${peak.toFixed(1)} MiB (target < 100) ${peak < 100 ? 'ok' : 'MISSED'}`);
    console.log(lines.join('\n'));
    process.exitCode = missed ? 1 : 0;
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
