// Browser upload benchmark: Skiff (wasm) vs filestack-js 4.3.8 vs one plain fetch PUT, side by side
// in one headless Chromium page against one skiff-server.
//
//   node bench/browser/upload.bench.mjs        (scripts/bench-browser.sh builds what is missing first)
//
// What it does
//   - one skiff-server (tests/e2e/support/server.mjs) whose data folder lives under BENCH_DIR
//     (default: the workspace's target/ folder, i.e. the disk the project is on, not /tmp);
//   - one page (tests/e2e/support/page.html via static.mjs: filestack-js's browser build) on its own
//     origin; dist/ (Skiff's entry, glue and wasm) served from a third origin with CORS, the way a CDN
//     would serve it;
//   - the page makes one random File of BENCH_SIZE_MIB (256) MiB once and every run uploads it; it is
//     read once in full before anything is timed (Chromium moves a new Blob's bytes into its blob
//     storage in the background, and the first reader would otherwise pay for that);
//   - contenders, each with its library's defaults (regular: 6 MiB parts, 3 in flight, MD5 per part;
//     intelligent: `intelligent: true`), timed in the page from the upload call to the resolved result:
//       skiff regular, skiff intelligent, filestack-js regular, filestack-js intelligent, plain PUT;
//   - plain PUT (the limit): the server has no raw PUT endpoint, so it uses the protocol with one part:
//     /multipart/start and /multipart/upload (part 1, size = whole file, no md5) untimed, then ONLY the
//     single fetch PUT of the whole File is timed, then /multipart/complete untimed (its time is shown);
//   - one untimed warm-up of every contender with a 16 MiB file, then BENCH_ROUNDS (3) rounds; in each
//     round all contenders run once, the order rotated by one per round; after every run the file is
//     checked (size; SHA-256 of the stored bytes in round 1), deleted (DELETE /api/file/{handle}?key=)
//     and `sync` flushes the page cache so no run pays for the previous one's writeback;
//   - sizes: gzip -9 of dist/skiff_bg.wasm + dist/skiff.js (dist/index.js separately) vs filestack-js's
//     browser build;
//   - memory: a BENCH_MEM_SIZE_MIB (2048) MiB Skiff regular upload from a fresh page (its own renderer
//     process); the File is a Blob of one repeated 1 MiB random Blob, so the page does not hold 2 GiB;
//     /proc of every Chromium process is sampled every 100 ms. Skipped when disk space is short.
//
// Targets (exit status 1 when one is missed): Skiff regular ≥ 1.25 × filestack-js regular and
// ≥ 0.80 × plain PUT (medians); dist/skiff_bg.wasm + dist/skiff.js ≤ 120 KB (120 000 bytes) gzip -9.
//
// Also printed: CPU seconds per process class for every run (/proc), the page's Resource Timing
// (PUTs in flight, gaps), and the speed of the client-side primitives (Blob read, MD5 in wasm and in
// filestack-js). BENCH_DIAG=1 adds diagnostic rows (never targets): Skiff without MD5, Skiff with
// concurrency 6, filestack-js without MD5, and skiff-bench (the project's Rust client, no browser)
// with 6 MiB × 3 parts and with one whole-file part.
//
// Environment: BENCH_ROUNDS (3), BENCH_SIZE_MIB (256), BENCH_MEM_SIZE_MIB (2048; 0 skips),
// BENCH_DIR (target/), BENCH_RUN_TIMEOUT_S (300), BENCH_DIAG (0), BENCH_DRIVER (cdp | playwright),
// BENCH_TRACE (a file for every run's Resource Timing entries, JSON), CHROMIUM_BIN, SKIFF_SERVER_BIN.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT, serverBinary, startServer } from '../../tests/e2e/support/server.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { CHROMIUM, CHROMIUM_ARGS, launchBrowser, openPage } from '../../tests/e2e/support/browser.mjs';

const MiB = 1024 * 1024;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 256) * MiB;
const MEM_SIZE = Number(process.env.BENCH_MEM_SIZE_MIB ?? 2048) * MiB;
const WARM_SIZE = 16 * MiB;
const BENCH_DIR = process.env.BENCH_DIR ?? join(REPO_ROOT, 'target');
const RUN_TIMEOUT_MS = Number(process.env.BENCH_RUN_TIMEOUT_S ?? 300) * 1000;
const APIKEY = 'benchkey';
const DIST = join(REPO_ROOT, 'dist');
const FILESTACK_UMD = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser', 'filestack.umd.js');

const DIAG = process.env.BENCH_DIAG === '1';
const SKIFF_BENCH = join(REPO_ROOT, 'target', 'release', 'skiff-bench');

// lib: who uploads in the page ('skiff', 'fs' = filestack-js, 'put') or 'native' (skiff-bench, the
// project's Rust ingest client, run from Node without a browser); opts: upload options.
const CONTENDERS = [
  { id: 'skiff-regular', label: 'Skiff regular', lib: 'skiff', opts: {} },
  { id: 'skiff-intelligent', label: 'Skiff intelligent', lib: 'skiff', opts: { intelligent: true } },
  { id: 'fs-regular', label: 'filestack-js 4.3.8 regular', lib: 'fs', opts: {} },
  { id: 'fs-intelligent', label: 'filestack-js 4.3.8 intelligent', lib: 'fs', opts: { intelligent: true } },
  { id: 'put', label: 'plain fetch PUT (limit)', lib: 'put', opts: {} },
];
// BENCH_DIAG=1: extra rows that explain the numbers; never part of a target.
if (DIAG) {
  CONTENDERS.push(
    { id: 'skiff-nomd5', label: 'diag: Skiff regular, disableIntegrityCheck', lib: 'skiff', opts: { disableIntegrityCheck: true }, diag: true },
    { id: 'skiff-c6', label: 'diag: Skiff regular, concurrency 6', lib: 'skiff', opts: { concurrency: 6 }, diag: true },
    { id: 'fs-nomd5', label: 'diag: filestack-js regular, disableIntegrityCheck', lib: 'fs', opts: { disableIntegrityCheck: true }, diag: true },
  );
  if (existsSync(SKIFF_BENCH)) {
    CONTENDERS.push(
      { id: 'native-6x3', label: 'diag: skiff-bench (Rust, no browser), 6 MiB parts × 3', lib: 'native', args: ['--part', '6MiB', '--clients', '3'], diag: true },
      { id: 'native-1', label: 'diag: skiff-bench (Rust, no browser), one whole-file part', lib: 'native', args: ['--part', `${SIZE / MiB}MiB`, '--clients', '1', '--buffers', '1'], diag: true },
    );
  }
}
const MAIN = CONTENDERS.filter((c) => !c.diag);

const log = (...a) => console.error('[bench-browser]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const mib = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`;

// ---------------------------------------------------------------------------------------------
// Browser drivers. Both give pages as { evaluate(fn, arg), addScript(source), console, close() }.
//
// 'cdp' (default): Chromium (same binary and flags as tests/e2e/support/browser.mjs) driven over
// --remote-debugging-pipe with the Target and Runtime domains only. Playwright always enables the
// Network domain, and then Chromium copies every in-memory request body (ArrayBuffer/typed array,
// which is how filestack-js sends its parts; Blob bodies are not copied) into a CDP event that
// the node process parses: measured here, 32 MiB of filestack-js parts cost ~1.2 s of node CPU plus
// as much in the browser process, which slows filestack-js down on a 2-CPU machine.
// 'playwright' (BENCH_DRIVER=playwright): the e2e helpers' launchBrowser()/openPage().

const DRIVER = process.env.BENCH_DRIVER ?? 'cdp';

async function launchCdpBrowser(profileDir) {
  const args = [...CHROMIUM_ARGS, '--remote-debugging-pipe', `--user-data-dir=${profileDir}`, 'about:blank'];
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.on('data', (b) => { stderr.push(String(b)); if (stderr.length > 200) stderr.shift(); });
  child.stdout.on('data', () => {});
  const killer = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.on('exit', killer);
  let exited = false;
  const exitP = new Promise((r) => child.on('exit', () => { exited = true; r(); }));
  const out = child.stdio[3];
  const inp = child.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = new Set();
  let buf = '';
  inp.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.id && pending.has(msg.id)) {
        const { ok, fail, method } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) fail(new Error(`${method}: ${msg.error.message} ${msg.error.data ?? ''}`));
        else ok(msg.result);
      } else if (msg.method) {
        for (const l of listeners) l(msg);
      }
    }
  });
  child.on('exit', () => { for (const { fail } of pending.values()) fail(new Error(`Chromium exited\n${stderr.join('')}`)); pending.clear(); });
  const send = (method, params = {}, sessionId) => new Promise((ok, fail) => {
    if (exited) { fail(new Error('Chromium has exited')); return; }
    const id = nextId++;
    pending.set(id, { ok, fail, method });
    out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
  });
  const { product } = await send('Browser.getVersion');
  const version = product.replace(/^[^/]*\//, '');

  async function newPage(url) {
    const { browserContextId } = await send('Target.createBrowserContext', { disposeOnDetach: true });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank', browserContextId });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const consoleLines = [];
    const onEvent = (msg) => {
      if (msg.sessionId !== sessionId) return;
      if (msg.method === 'Runtime.consoleAPICalled') {
        consoleLines.push(`[console.${msg.params.type}] ${msg.params.args.map((a) => a.value ?? a.description ?? a.type).join(' ')}`);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        consoleLines.push(`[pageerror] ${d.exception?.description ?? d.text}`);
      }
    };
    listeners.add(onEvent);
    await send('Runtime.enable', {}, sessionId);
    await send('Page.navigate', { url }, sessionId);
    const evalExpr = async (expression) => {
      const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
      if (r.exceptionDetails) {
        const d = r.exceptionDetails;
        throw new Error(`in the page: ${d.exception?.description ?? d.text}`);
      }
      return r.result.value;
    };
    const deadline = Date.now() + 30000;
    for (;;) {
      const ready = await evalExpr("location.href !== 'about:blank' && window.skiffPageReady === true && typeof window.filestack?.init === 'function'").catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`page ${url} did not get ready\n${consoleLines.join('\n')}`);
      await sleep(50);
    }
    return {
      console: consoleLines,
      evaluate: (fn, arg) => evalExpr(`(${fn.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`),
      addScript: (source) => evalExpr(`${source}\n;undefined`),
      collectGarbage: () => send('HeapProfiler.collectGarbage', {}, sessionId),
      close: async () => {
        listeners.delete(onEvent);
        await send('Target.closeTarget', { targetId }).catch(() => {});
        await send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
      },
    };
  }

  return {
    version: () => version,
    newPage,
    close: async () => {
      await send('Browser.close').catch(() => {});
      await Promise.race([exitP, sleep(5000)]);
      killer();
      process.off('exit', killer);
    },
  };
}

async function launchDriver(profileDir) {
  if (DRIVER === 'cdp') return launchCdpBrowser(profileDir);
  if (DRIVER !== 'playwright') throw new Error(`BENCH_DRIVER must be cdp or playwright, not ${DRIVER}`);
  const browser = await launchBrowser();
  return {
    version: () => browser.version(),
    newPage: async (url) => {
      const tab = await openPage(browser, url, () => []);
      return {
        console: tab.console,
        evaluate: (fn, arg) => tab.page.evaluate(fn, arg),
        addScript: (source) => tab.page.addScriptTag({ content: source }),
        collectGarbage: async () => (await tab.context.newCDPSession(tab.page)).send('HeapProfiler.collectGarbage'),
        close: () => tab.context.close(),
      };
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------
// dist/ on its own origin (CORS, application/wasm), like a CDN would serve the package.

async function startDistServer() {
  const types = { '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.ts': 'text/plain' };
  const server = createServer(async (req, res) => {
    const name = new URL(req.url, 'http://x').pathname.replace(/^\/+/, '');
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || !existsSync(join(DIST, name))) {
      res.writeHead(404, { 'access-control-allow-origin': '*' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': types[extname(name)] ?? 'application/octet-stream',
      'access-control-allow-origin': '*',
      'cache-control': 'no-store',
    });
    res.end(readFileSync(join(DIST, name)));
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }) };
}

// ---------------------------------------------------------------------------------------------
// Code installed in the page (window.bench). Runs in Chromium.

const PAGE_LIB = String.raw`
'use strict';
window.bench = (() => {
  const MiB = 1024 * 1024;
  performance.setResourceTimingBufferSize(100000);

  async function loadSkiff(distUrl) {
    window.skiffModule = await import(distUrl + '/index.js');
    await window.skiffModule.loadWasm();
    return await window.skiffModule.version();
  }

  /** A File of size bytes: one random block of blockSize repeated (a Blob of Blobs). */
  function repeatedFile(id, size, blockSize) {
    const block = new Uint8Array(blockSize);
    for (let off = 0; off < blockSize; off += 65536) crypto.getRandomValues(block.subarray(off, Math.min(blockSize, off + 65536)));
    const blockBlob = new Blob([block]);
    const parts = [];
    let left = size;
    while (left > 0) {
      const n = Math.min(blockSize, left);
      parts.push(n === blockSize ? blockBlob : blockBlob.slice(0, n));
      left -= n;
    }
    window.skiffFiles[id] = new File(parts, id + '.bin', { type: 'application/octet-stream' });
    return window.skiffFiles[id].size;
  }

  function plain(res) {
    const out = {};
    for (const k of ['handle', 'url', 'filename', 'size', 'mimetype', 'status', 'key']) if (res && res[k] !== undefined) out[k] = res[k];
    return out;
  }

  async function postJson(url, body) {
    for (;;) {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await r.text();
      if (r.status === 202) { await new Promise((ok) => setTimeout(ok, 1000)); continue; }
      if (!r.ok) throw new Error('POST ' + url + ' -> ' + r.status + ' ' + text);
      return JSON.parse(text);
    }
  }

  /** One part = the whole file; only the PUT is timed. */
  async function plainPut(file, base, apikey) {
    const store = { location: 's3' };
    const mimetype = file.type || 'application/octet-stream';
    const start = await postJson(base + '/multipart/start', { apikey, filename: file.name, mimetype, size: file.size, store });
    const loc = /^https?:\/\//.test(start.location_url) ? start.location_url : new URL(base).protocol + '//' + start.location_url;
    const common = { apikey, uri: start.uri, region: start.region, upload_id: start.upload_id, store };
    const up = await postJson(loc + '/multipart/upload', { ...common, part: 1, size: file.size });
    const t0 = performance.now();
    const r = await fetch(up.url, { method: 'PUT', headers: up.headers || {}, body: file });
    const t1 = performance.now();
    const text = await r.text();
    if (!r.ok) throw new Error('PUT ' + up.url + ' -> ' + r.status + ' ' + text);
    const etag = r.headers.get('etag');
    if (!etag) throw new Error('PUT answered without a readable ETag');
    const c0 = performance.now();
    const done = await postJson(loc + '/multipart/complete', { ...common, filename: file.name, mimetype, size: file.size, parts: [{ part_number: 1, etag }] });
    const c1 = performance.now();
    return { t0, t1, completeMs: c1 - c0, result: plain(done) };
  }

  function resources(base, t0, t1) {
    return performance.getEntriesByType('resource')
      .filter((e) => e.name.startsWith(base) && e.startTime >= t0 - 1 && e.startTime <= t1 + 1)
      .map((e) => ({ path: new URL(e.name).pathname, start: e.startTime - t0, end: e.responseEnd - t0 }));
  }

  /** One timed upload of skiffFiles[fileId] by lib ('skiff', 'fs', 'put') with upload options opts. */
  async function run(lib, opts, fileId, base, apikey) {
    const file = window.skiffFiles[fileId];
    performance.clearResourceTimings();
    window.skiffErrors.length = 0;
    try {
      if (lib === 'put') {
        const r = await plainPut(file, base, apikey);
        return { ok: true, ms: r.t1 - r.t0, completeMs: r.completeMs, result: r.result, resources: resources(base, r.t0, r.t1) };
      }
      let call;
      if (lib === 'skiff') {
        const client = window.skiffModule.init(apikey, { baseUrl: base });
        call = () => client.upload(file, { ...opts });
      } else {
        const client = window.skiffClient(base, apikey);
        call = () => client.upload(file, { ...opts });
      }
      const t0 = performance.now();
      const res = await call();
      const t1 = performance.now();
      return { ok: true, ms: t1 - t0, result: plain(res), resources: resources(base, t0, t1), errors: window.skiffErrors.slice() };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e), errors: window.skiffErrors.slice(),
        resources: resources(base, 0, performance.now()).slice(-40) };
    }
  }

  /** Throughput of the client-side primitives on this machine (MiB/s, median of 3). */
  async function primitives(fileId) {
    const file = window.skiffFiles[fileId];
    const part = 6 * MiB;
    const n = 8; // 48 MiB per measurement
    const med = (xs) => xs.sort((a, b) => a - b)[1];
    const time = async (fn) => { const t0 = performance.now(); await fn(); return (n * part / MiB) / ((performance.now() - t0) / 1000); };
    const bufs = [];
    for (let i = 0; i < n; i++) bufs.push(new Uint8Array(await file.slice(i * part, (i + 1) * part).arrayBuffer()));
    const out = {};
    const read = [], wasmMd5 = [], jsMd5 = [];
    for (let k = 0; k < 3; k++) {
      read.push(await time(async () => { for (let i = 0; i < n; i++) await file.slice(i * part, (i + 1) * part).arrayBuffer(); }));
      wasmMd5.push(await time(async () => { for (const b of bufs) await window.skiffModule.md5_base64(b); }));
      if (typeof window.filestack.md5 === 'function') {
        jsMd5.push(await time(async () => { for (const b of bufs) window.filestack.md5(b.buffer); }));
      }
    }
    out.blobSliceRead = med(read);
    out.skiffWasmMd5 = med(wasmMd5);
    out.filestackJsMd5 = jsMd5.length ? med(jsMd5) : null;
    out.md5Agree = typeof window.filestack.md5 === 'function'
      ? (await window.skiffModule.md5_base64(bufs[0])) === window.filestack.md5(bufs[0].buffer)
      : null;
    return out;
  }

  // Memory seen from inside the page: wasm linear memory (the glue's init returns the already
  // instantiated exports) and performance.memory's JS heap.
  let memTimer, memMax, wasmExports;
  async function memStart(distUrl) {
    wasmExports = await (await import(distUrl + '/skiff.js')).default();
    memMax = { wasm: 0, heap: 0 };
    const sample = () => {
      memMax.wasm = Math.max(memMax.wasm, wasmExports.memory.buffer.byteLength);
      if (performance.memory) memMax.heap = Math.max(memMax.heap, performance.memory.usedJSHeapSize);
    };
    sample();
    memTimer = setInterval(sample, 200);
  }
  function memStop() {
    clearInterval(memTimer);
    return { wasmPeak: memMax.wasm, heapPeak: memMax.heap, wasmEnd: wasmExports.memory.buffer.byteLength, heapEnd: performance.memory?.usedJSHeapSize ?? null };
  }

  /** Reads a whole File once, so that Chromium has finished moving its bytes into blob storage. */
  async function settle(fileId) {
    const reader = window.skiffFiles[fileId].stream().getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.byteLength;
    }
  }

  return { loadSkiff, repeatedFile, run, primitives, memStart, memStop, settle };
})();
`;

// ---------------------------------------------------------------------------------------------
// /proc helpers: the Chromium processes started by this node process.

function procChildren() {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return children;
}

function browserProcesses() {
  const children = procChildren();
  const out = [];
  const stack = [...(children.get(process.pid) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    stack.push(...(children.get(pid) ?? []));
    let cmd = '';
    try { cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { continue; }
    if (!/chrom/i.test(cmd)) continue;
    const type = /--type=(\S+)/.exec(cmd)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1];
    out.push({ pid, type: sub ? `${type}:${sub.replace(/\.mojom\..*/, '')}` : type });
  }
  return out;
}

function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

// CPU time per process class during one run: /proc/<pid>/stat utime+stime of our processes and the
// machine's busy time from /proc/stat; "foreign" = busy time of every other process (disturbance).
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const CPU_CLASSES = ['renderer', 'browser', 'network', 'otherChromium', 'server', 'harness', 'foreign'];

function procTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

function cpuSnapshot(serverPid) {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  const procs = new Map();
  const add = (pid, cls) => { const t = procTicks(pid); if (t != null) procs.set(pid, { cls, t }); };
  add(serverPid, 'server');
  add(process.pid, 'harness');
  for (const p of browserProcesses()) {
    add(p.pid, p.type === 'renderer' ? 'renderer' : p.type === 'browser' ? 'browser' : p.type === 'utility:network' ? 'network' : 'otherChromium');
  }
  return { at: performance.now(), busy: user + nice + system + irq + softirq + (steal || 0), procs };
}

function cpuDelta(a, b) {
  const out = Object.fromEntries(CPU_CLASSES.map((c) => [c, 0]));
  let ours = 0;
  for (const [pid, { cls, t }] of b.procs) {
    const d = (t - (a.procs.get(pid)?.t ?? 0)) / CLK_TCK;
    out[cls] += d;
    ours += d;
  }
  const busy = (b.busy - a.busy) / CLK_TCK;
  out.foreign = Math.max(0, busy - ours);
  out.busy = busy;
  out.wall = (b.at - a.at) / 1000;
  return out;
}

// zlib level 9 (what scripts/build-wasm.sh prints, and what gives filestack-js's 126 KB) and, when
// the gzip command is there, GNU `gzip -9 -n` (a different deflate implementation, a bit smaller).
function gz(file) {
  const raw = readFileSync(file);
  const cli = spawnSync('gzip', ['-9', '-n', '-c', file], { maxBuffer: 64 * MiB });
  return { raw: raw.length, gz: gzipSync(raw, { level: 9 }).length, gnu: cli.status === 0 ? cli.stdout.length : NaN };
}

async function sha256OfUrl(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body) { h.update(chunk); size += chunk.length; }
  return { size, sha256: h.digest('hex') };
}

function analyse(resources, ms) {
  const puts = resources.filter((r) => r.path.startsWith('/multipart/part/'));
  const calls = (p) => resources.filter((r) => r.path === p).length;
  const ups = resources.filter((r) => r.path === '/multipart/upload');
  if (puts.length === 0) return null;
  const putSum = puts.reduce((a, r) => a + (r.end - r.start), 0);
  // Time during which at least one PUT was in flight.
  const iv = puts.map((r) => [r.start, r.end]).sort((a, b) => a[0] - b[0]);
  let busy = 0, cs = iv[0][0], ce = iv[0][1];
  for (const [s, e] of iv.slice(1)) {
    if (s > ce) { busy += ce - cs; cs = s; ce = e; } else ce = Math.max(ce, e);
  }
  busy += ce - cs;
  const firstPut = Math.min(...puts.map((r) => r.start));
  const lastPut = Math.max(...puts.map((r) => r.end));
  return {
    puts: puts.length,
    uploads: calls('/multipart/upload'),
    commits: calls('/multipart/commit'),
    completes: calls('/multipart/complete'),
    inflight: putSum / ms,
    busyShare: busy / ms,
    toFirstPut: firstPut,
    afterLastPut: ms - lastPut,
    meanPutMs: putSum / puts.length,
    meanUploadMs: ups.length ? ups.reduce((a, r) => a + (r.end - r.start), 0) / ups.length : NaN,
  };
}

async function main() {
  const started = Date.now();
  for (const f of ['skiff_bg.wasm', 'skiff.js', 'index.js']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} is missing: run bash scripts/build-wasm.sh (or scripts/bench-browser.sh)`);
  }
  mkdirSync(BENCH_DIR, { recursive: true });
  const tmpRoot = join(BENCH_DIR, `bench-browser-${process.pid}`);
  mkdirSync(tmpRoot, { recursive: true });

  // startServer() puts its data folder in os.tmpdir(): point that at BENCH_DIR just for the call.
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmpRoot;
  let server, site, dist, browser;
  try {
    server = await startServer({ name: 'bench', apikey: APIKEY });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
  }
  const cleanup = async () => {
    for (const step of [() => browser?.close(), () => site?.stop(), () => dist?.stop(), () => server?.stop()]) {
      try { await step(); } catch (e) { log('cleanup:', e.message); }
    }
    rmSync(tmpRoot, { recursive: true, force: true });
  };

  let exitCode = 0;
  try {
    [site, dist] = await Promise.all([startStaticServer(), startDistServer()]);
    browser = await launchDriver(join(tmpRoot, 'chromium-profile'));
    log(`server ${server.url} (data ${server.data}), page ${site.url}, dist ${dist.url}, Chromium ${browser.version()}`);

    const openBenchPage = async () => {
      const tab = await browser.newPage(`${site.url}/`);
      await tab.addScript(PAGE_LIB);
      const version = await tab.evaluate((u) => window.bench.loadSkiff(u), dist.url);
      return { tab, version };
    };
    let { tab, version: skiffVersion } = await openBenchPage();

    log(`generating the ${mib(SIZE)} random File in the page`);
    const makeFiles = async () => {
      const big = await tab.evaluate(([s]) => window.skiffRandomFile('big', s, 'bench-256.bin', 'application/octet-stream'), [SIZE]);
      await tab.evaluate(([s]) => window.skiffRandomFile('warm', s, 'bench-warm.bin', 'application/octet-stream'), [WARM_SIZE]);
      return big;
    };
    let big = await makeFiles();

    // Before anything is timed: the File's bytes fully in Chromium's blob storage (the first timed run
    // otherwise pays for it), then the primitives, then writeback of whatever that caused.
    await tab.evaluate(() => window.bench.settle('big'));
    const primitives = await tab.evaluate(() => window.bench.primitives('big'));
    spawnSync('sync');

    const del = async (handle) => {
      const r = await fetch(`${server.url}/api/file/${handle}?key=${APIKEY}`, { method: 'DELETE' });
      if (!r.ok) throw new Error(`DELETE ${handle}: ${r.status} ${await r.text()}`);
    };

    const runOnce = async (c, fileId, size) => {
      const serverLogFrom = server.log().length;
      const consoleFrom = tab.console.length;
      let timer;
      const r = await Promise.race([
        tab.evaluate(([l, o, f, b, a]) => window.bench.run(l, o, f, b, a), [c.lib, c.opts, fileId, server.url, APIKEY]),
        new Promise((ok) => { timer = setTimeout(() => ok({ ok: false, timeout: true, error: `no result within ${RUN_TIMEOUT_MS / 1000} s` }), RUN_TIMEOUT_MS); }),
      ]);
      clearTimeout(timer);
      if (r.ok && r.result?.size !== size) { r.ok = false; r.error = `result size ${r.result?.size} != ${size}: ${JSON.stringify(r.result)}`; }
      if (r.ok && r.result?.status && !['Stored', 'InTransit'].includes(r.result.status)) { r.ok = false; r.error = `result status ${r.result.status}`; }
      if (!r.ok) {
        if (r.timeout) {
          r.resources = await tab.evaluate((b) => performance.getEntriesByType('resource').filter((e) => e.name.startsWith(b))
            .slice(-40).map((e) => `${new URL(e.name).pathname} start=${e.startTime.toFixed(0)} end=${e.responseEnd.toFixed(0)}`), server.url).catch(() => []);
        }
        r.diag = [
          `--- ${c.label}: ${r.error}`,
          ...(r.errors ?? []).map((e) => `upload.error: ${e}`),
          '--- last API requests seen by the page (Resource Timing) ---',
          ...(r.resources ?? []).map((x) => (typeof x === 'string' ? x : `${x.path} ${x.start.toFixed(0)}→${x.end.toFixed(0)} ms`)),
          '--- browser console ---', ...tab.console.slice(consoleFrom),
          '--- server log ---', server.log().slice(serverLogFrom).split('\n').slice(-60).join('\n'),
        ].join('\n');
      }
      return r;
    };

    // skiff-bench: the project's Rust client over loopback, no browser (diagnostic rows only).
    const runNative = (c) => {
      const args = ['ingest', '--server', server.url, '--apikey', APIKEY, '--size', `${SIZE / MiB}MiB`, ...c.args, '--delete-after'];
      const t = spawnSync(SKIFF_BENCH, args, { encoding: 'utf8' });
      const line = t.stdout.trim().split('\n').at(-1) ?? '';
      if (t.status !== 0 || !line.startsWith('{')) {
        return { ok: false, error: `skiff-bench exited with ${t.status}`, diag: `${SKIFF_BENCH} ${args.join(' ')}\n${t.stdout}\n${t.stderr}` };
      }
      const j = JSON.parse(line);
      return { ok: true, ms: j.seconds * 1000, native: j, resources: [] };
    };

    const measured = async (c, fileId, size) => {
      const a = cpuSnapshot(server.pid);
      const r = c.lib === 'native' ? runNative(c) : await runOnce(c, fileId, size);
      r.cpu = cpuDelta(a, cpuSnapshot(server.pid));
      return r;
    };

    // Warm-up: JIT, wasm instance, server connections, SQLite; not counted.
    log('warm-up (16 MiB, each contender once, untimed)');
    for (const c of CONTENDERS.filter((x) => x.lib !== 'native')) {
      const r = await runOnce(c, 'warm', WARM_SIZE);
      if (!r.ok) { log(`warm-up of ${c.label} failed:\n${r.diag}`); continue; }
      await del(r.result.handle);
    }
    spawnSync('sync');
    await sleep(1000);

    const runs = Object.fromEntries(CONTENDERS.map((c) => [c.id, []])); // per round: {mibs, ms, analysis, completeMs} | {error}
    const failures = [];
    const verified = {};
    const trace = []; // BENCH_TRACE=file: every run's Resource Timing entries as JSON
    const loadStart = loadavg()[0];
    for (let round = 0; round < ROUNDS; round++) {
      const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
      for (const c of order) {
        if (runs[c.id].some((x) => x.error)) { runs[c.id].push({ error: 'skipped after an earlier failure' }); continue; }
        const r = await measured(c, 'big', SIZE);
        if (!r.ok) {
          log(`round ${round + 1}: ${c.label} FAILED\n${r.diag}`);
          failures.push({ contender: c.label, round: round + 1, diag: r.diag });
          runs[c.id].push({ error: r.error });
          if (r.timeout) {
            // The page may still be busy with the hung upload: start over in a fresh page.
            await tab.close().catch(() => {});
            ({ tab } = await openBenchPage());
            big = await makeFiles();
            await tab.evaluate(() => window.bench.settle('big'));
          }
          continue;
        }
        const mibs = (SIZE / MiB) / (r.ms / 1000);
        runs[c.id].push({ mibs, ms: r.ms, completeMs: r.completeMs, analysis: analyse(r.resources, r.ms), cpu: r.cpu });
        if (process.env.BENCH_TRACE) trace.push({ contender: c.id, round: round + 1, ms: r.ms, cpu: r.cpu, resources: r.resources });
        log(`round ${round + 1}: ${c.label.padEnd(50)} ${f1(mibs).padStart(7)} MiB/s (${(r.ms / 1000).toFixed(2)} s; ` +
          `CPU s: renderer ${f2(r.cpu.renderer)}, browser ${f2(r.cpu.browser)}, network ${f2(r.cpu.network)}, server ${f2(r.cpu.server)}, other processes ${f2(r.cpu.foreign)})`);
        if (c.lib === 'native') { await sleep(200); spawnSync('sync'); continue; }
        if (round === 0) {
          const got = await sha256OfUrl(r.result.url || `${server.url}/${r.result.handle}`);
          verified[c.id] = got.size === big.size && got.sha256 === big.sha256;
          if (!verified[c.id]) {
            failures.push({ contender: c.label, round: 1, diag: `stored bytes differ: ${JSON.stringify(got)} vs ${JSON.stringify(big)}` });
            log(`${c.label}: stored bytes differ from the File`);
          }
        }
        await del(r.result.handle);
        spawnSync('sync');
        await sleep(200);
      }
    }
    const loadEnd = loadavg()[0];
    if (process.env.BENCH_TRACE) writeFileSync(process.env.BENCH_TRACE, JSON.stringify(trace));

    // ---- memory: 2 GiB Skiff regular upload from a fresh page ----
    let memory = { skipped: 'BENCH_MEM_SIZE_MIB=0' };
    if (MEM_SIZE > 0) {
      const fsst = statfsSync(server.data);
      const free = fsst.bavail * fsst.bsize;
      if (free < MEM_SIZE * 2 + 2 * 1024 * MiB) {
        memory = { skipped: `only ${(free / 1024 / MiB).toFixed(1)} GiB free on the data disk (need ${(MEM_SIZE * 2 / 1024 / MiB + 2).toFixed(1)} GiB)` };
      } else {
        await tab.close();
        const before = new Set(browserProcesses().filter((p) => p.type === 'renderer').map((p) => p.pid));
        ({ tab } = await openBenchPage());
        const renderers = browserProcesses().filter((p) => p.type === 'renderer' && !before.has(p.pid));
        await tab.evaluate(([s]) => window.bench.repeatedFile('mem', s, 1024 * 1024), [MEM_SIZE]);
        await sleep(500);
        const procs = browserProcesses();
        const baseline = Object.fromEntries(procs.map((p) => [p.pid, procMem(p.pid)?.rss ?? 0]));
        const peak = { ...baseline };
        let peakTotal = Object.values(baseline).reduce((a, b) => a + b, 0);
        const baseTotal = peakTotal;
        const series = []; // [ms since start, {pid: rss}]
        const t0 = performance.now();
        const sampler = setInterval(() => {
          let total = 0;
          const snap = {};
          for (const p of procs) {
            const m = procMem(p.pid);
            if (!m) continue;
            peak[p.pid] = Math.max(peak[p.pid] ?? 0, m.rss);
            snap[p.pid] = m.rss;
            total += m.rss;
          }
          series.push([performance.now() - t0, snap]);
          peakTotal = Math.max(peakTotal, total);
        }, 100);
        log(`memory: ${mib(MEM_SIZE)} Skiff regular upload (renderer pid ${renderers.map((p) => p.pid).join(',') || '?'})`);
        await tab.evaluate((u) => window.bench.memStart(u), dist.url);
        const r = await runOnce(CONTENDERS[0], 'mem', MEM_SIZE);
        clearInterval(sampler);
        const inPage = await tab.evaluate(() => window.bench.memStop()).catch(() => null);
        // The page's renderer: of the renderers that appeared with the fresh page, the one that grew.
        const rendererPid = renderers.map((x) => x.pid).sort((a, b) => (peak[b] - baseline[b]) - (peak[a] - baseline[a]) || peak[b] - peak[a])[0];
        const byType = (t) => procs.filter((p) => p.type === t);
        const sumOf = (list, m) => list.reduce((a, p) => a + (m[p.pid] ?? 0), 0);
        // The renderer's peak RSS in each quarter of the upload: flat quarters = bounded memory.
        const quarters = [0, 1, 2, 3].map((q) => {
          const end = series.at(-1)?.[0] ?? 0;
          const xs = series.filter(([t]) => t >= (q * end) / 4 && t <= ((q + 1) * end) / 4).map(([, m]) => m[rendererPid] ?? 0);
          return xs.length ? Math.max(...xs) : NaN;
        });
        // Then a full garbage collection: what it gives back was garbage not yet collected.
        let afterGc = NaN;
        if (rendererPid) {
          await tab.collectGarbage().catch(() => {});
          await sleep(1000);
          afterGc = procMem(rendererPid)?.rss ?? NaN;
        }
        memory = {
          inPage,
          afterGc,
          quarters,
          ok: r.ok,
          error: r.ok ? null : r.error,
          diag: r.diag,
          mibs: r.ok ? (MEM_SIZE / MiB) / (r.ms / 1000) : NaN,
          ms: r.ms,
          renderer: rendererPid ? { base: baseline[rendererPid], peak: peak[rendererPid], hwm: procMem(rendererPid)?.hwm } : null,
          browser: { base: sumOf(byType('browser'), baseline), peak: sumOf(byType('browser'), peak) },
          network: { base: sumOf(byType('utility:network'), baseline), peak: sumOf(byType('utility:network'), peak) },
          total: { base: baseTotal, peak: peakTotal },
          processes: procs.length,
        };
        if (r.ok) await del(r.result.handle);
        else failures.push({ contender: `Skiff regular ${mib(MEM_SIZE)} (memory run)`, round: '-', diag: r.diag });
        spawnSync('sync');
      }
    }

    // ---------------------------------------------------------------------------------------------
    // Report.
    const med = Object.fromEntries(CONTENDERS.map((c) => [c.id, median(runs[c.id].map((x) => x.mibs))]));
    const fsReg = med['fs-regular'];
    const put = med.put;
    const cpu = cpus()[0]?.model ?? '?';
    const df = spawnSync('df', ['-PT', server.data], { encoding: 'utf8' }).stdout.split('\n')[1]?.split(/\s+/) ?? [];
    const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() ? ' (+ uncommitted changes)' : '';
    const fsPkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'filestack-js', 'package.json'), 'utf8')).version;
    const bin = serverBinary();

    const out = [];
    const p = (s = '') => out.push(s);
    p('## Browser upload benchmark');
    p();
    p(`- machine: ${cpus().length} CPUs (${cpu}), memory ${(totalmem() / 1024 / MiB).toFixed(1)} GiB (free ${(freemem() / 1024 / MiB).toFixed(1)} GiB), kernel ${release()}`);
    p(`- load average (1 min) at the first round ${loadStart.toFixed(2)}, after the last ${loadEnd.toFixed(2)}`);
    p(`- Chromium ${browser.version()} headless (${CHROMIUM}), driven by ${DRIVER === 'cdp' ? 'raw CDP over a pipe (Target + Runtime domains only, no Network instrumentation)' : 'Playwright (Network domain on: in-memory request bodies are copied to node)'}, node ${process.version}; Skiff ${skiffVersion} at ${git}${dirty}, filestack-js ${fsPkg}`);
    p(`- skiff-server ${bin} (built ${statSync(bin).mtime.toISOString()}), data folder on ${df[1] ?? '?'} ${df[0] ?? '?'} (${server.data})`);
    p(`- dist/ built ${statSync(join(DIST, 'skiff_bg.wasm')).mtime.toISOString()} (scripts/bench-browser.sh rebuilds it only when missing, or with BENCH_REBUILD=1)`);
    p(`- page ${site.url}, dist ${dist.url}, API ${server.url}: three loopback origins, HTTP/1.1, every API call cross-origin`);
    p(`- file: one ${mib(SIZE)} random File made once in the page and read once in full before any timing; ${ROUNDS} rounds, contenders interleaved (order rotated each round), after a 16 MiB warm-up of each`);
    p();
    p(`| contender | ${Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`).join(' | ')} | median MiB/s | × filestack-js regular | × plain PUT |`);
    p(`|---|${Array.from({ length: ROUNDS }, () => '---:').join('|')}|---:|---:|---:|`);
    // † = other processes (not this benchmark's) used > 0.25 CPU on average during that run.
    let anyDisturbed = false;
    for (const c of CONTENDERS) {
      const disturbed = (x) => c.lib !== 'native' && x.cpu && x.cpu.foreign > 0.25 * x.cpu.wall;
      if (c.diag && c === CONTENDERS.find((x) => x.diag)) p(`| *diagnostics (BENCH_DIAG=1), not targets* |${Array.from({ length: ROUNDS }, () => '').join('|')}| | | |`);
      const cells = runs[c.id].map((x) => (x.error ? 'FAILED' : `${f1(x.mibs)}${disturbed(x) ? ' †' : ''}`));
      anyDisturbed ||= runs[c.id].some(disturbed);
      p(`| ${c.label} | ${cells.join(' | ')} | **${f1(med[c.id])}** | ${f2(med[c.id] / fsReg)} | ${f2(med[c.id] / put)} |`);
    }
    p();
    if (anyDisturbed) p('† other processes on the machine used more than a quarter of a CPU on average during that run (see "other processes" below); re-run when the machine is quiet if medians depend on it.');
    p('Notes:');
    p('- Skiff and filestack-js: time from the `upload()` call to its resolved result, each with its defaults (regular: 6 MiB parts, 3 in flight, MD5 of every part sent and checked; intelligent: `intelligent: true`, 8 MiB parts, one /multipart/commit per part).');
    const putComplete = median(runs.put.map((x) => x.completeMs));
    p(`- plain PUT: skiff-server has no raw PUT endpoint, so it is the protocol with one part: /multipart/start and /multipart/upload (part 1, size = the whole file, no md5) untimed, then only the single \`fetch(url, {method: 'PUT', body: file})\` of the whole File is timed; /multipart/complete afterwards is untimed (median ${f1(putComplete)} ms). The server still hashes (MD5 for the ETag) and fsyncs the bytes, as for every part.`);
    p('- MiB/s = file size / time. Stored bytes checked by SHA-256 in round 1: ' + CONTENDERS.filter((c) => c.lib !== 'native').map((c) => `${c.label} ${verified[c.id] === undefined ? 'n/a' : verified[c.id] ? 'ok' : 'MISMATCH'}`).join(', ') + '; every result\'s size checked. Files are deleted and `sync` run after every upload.');
    p();

    const skiffReg = med['skiff-regular'];
    const sizes = {
      wasm: gz(join(DIST, 'skiff_bg.wasm')),
      glue: gz(join(DIST, 'skiff.js')),
      entry: gz(join(DIST, 'index.js')),
      fs: gz(FILESTACK_UMD),
    };
    const skiffGz = sizes.wasm.gz + sizes.glue.gz;
    const targets = [
      { name: 'Skiff regular ≥ 1.25 × filestack-js regular', value: `${f2(skiffReg / fsReg)} ×`, pass: skiffReg >= 1.25 * fsReg },
      { name: 'Skiff regular ≥ 0.80 × plain PUT', value: `${f2(skiffReg / put)} ×`, pass: skiffReg >= 0.8 * put },
      { name: 'wasm + JS glue ≤ 120 KB gzip -9 (zlib; 120 000 bytes)', value: `${(skiffGz / 1000).toFixed(1)} KB (${(skiffGz / 1024).toFixed(1)} KiB); filestack-js ${(sizes.fs.gz / 1000).toFixed(1)} KB`, pass: skiffGz <= 120_000 },
    ];
    p('### Targets');
    p();
    p('| target | measured | result |');
    p('|---|---:|---|');
    for (const t of targets) p(`| ${t.name} | ${t.value} | ${t.pass ? 'PASS' : 'FAIL'} |`);
    p();

    p('### Sizes (gzip -9)');
    p();
    p('| file | raw bytes | gzip -9 bytes (zlib) | KB | KiB | GNU gzip -9 bytes |');
    p('|---|---:|---:|---:|---:|---:|');
    const row = (n, s) => p(`| ${n} | ${s.raw} | ${s.gz} | ${(s.gz / 1000).toFixed(1)} | ${(s.gz / 1024).toFixed(1)} | ${Number.isFinite(s.gnu) ? s.gnu : '–'} |`);
    row('dist/skiff_bg.wasm', sizes.wasm);
    row('dist/skiff.js (glue)', sizes.glue);
    row('**wasm + glue**', { raw: sizes.wasm.raw + sizes.glue.raw, gz: skiffGz, gnu: sizes.wasm.gnu + sizes.glue.gnu });
    row('dist/index.js (entry, separately)', sizes.entry);
    row('all of dist/ that loads', { raw: sizes.wasm.raw + sizes.glue.raw + sizes.entry.raw, gz: skiffGz + sizes.entry.gz, gnu: sizes.wasm.gnu + sizes.glue.gnu + sizes.entry.gnu });
    row('filestack-js 4.3.8 build/browser/filestack.umd.js', sizes.fs);
    p();

    p('### Memory');
    p();
    if (memory.skipped) {
      p(`Skipped: ${memory.skipped}.`);
    } else {
      const m = (x) => (Number.isFinite(x) ? `${(x / MiB).toFixed(0)} MiB` : '–');
      p('| run | MiB/s | renderer RSS before → peak (VmHWM) | browser process RSS before → peak | network service RSS before → peak | all Chromium processes RSS before → peak |');
      p('|---|---:|---:|---:|---:|---:|');
      p(`| Skiff regular, ${mib(MEM_SIZE)} File (Blob of a repeated 1 MiB random Blob), fresh page | ${memory.ok ? f1(memory.mibs) : 'FAILED'} | ` +
        `${memory.renderer ? `${m(memory.renderer.base)} → ${m(memory.renderer.peak)} (${m(memory.renderer.hwm)})` : '–'} | ` +
        `${m(memory.browser.base)} → ${m(memory.browser.peak)} | ${m(memory.network.base)} → ${m(memory.network.peak)} | ` +
        `${m(memory.total.base)} → ${m(memory.total.peak)} (${memory.processes} processes) |`);
      p();
      p(`Renderer peak RSS in each quarter of the upload: ${memory.quarters.map(m).join(' → ')}; after the upload and a full GC (CDP HeapProfiler.collectGarbage): ${m(memory.afterGc)}.` +
        (memory.inPage ? ` Inside the page: wasm linear memory peak ${m(memory.inPage.wasmPeak)} (end ${m(memory.inPage.wasmEnd)}), JS heap used peak ${m(memory.inPage.heapPeak)} (performance.memory.usedJSHeapSize, sampled every 200 ms).` : ''));
      p();
      p('RSS from /proc/<pid>/status sampled every 100 ms during the upload; VmHWM is the renderer\'s own peak since the fresh page opened. performance.measureUserAgentSpecificMemory needs a cross-origin-isolated page, which the test page is not.');
      if (!memory.ok) p(`Memory run failed: ${memory.error}`);
    }
    p();

    p('### Where the time goes (medians over the rounds, from the page\'s Resource Timing entries)');
    p();
    p('| contender | PUTs | /multipart/upload | commits | PUTs in flight (mean) | share of time with a PUT in flight | call → first PUT start ms | last PUT end → result ms | mean PUT ms | mean /multipart/upload ms |');
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of CONTENDERS.filter((x) => x.lib !== 'native')) {
      const a = runs[c.id].map((x) => x.analysis).filter(Boolean);
      if (!a.length) { p(`| ${c.label} | – | – | – | – | – | – | – | – | – |`); continue; }
      const md = (k) => median(a.map((x) => x[k]));
      p(`| ${c.label} | ${md('puts')} | ${md('uploads')} | ${md('commits')} | ${f2(md('inflight'))} | ${(md('busyShare') * 100).toFixed(0)} % | ${f1(md('toFirstPut'))} | ${f1(md('afterLastPut'))} | ${f1(md('meanPutMs'))} | ${f1(md('meanUploadMs'))} |`);
    }
    p();
    p('### CPU seconds per run (medians over the rounds; /proc utime+stime; wall = the measured interval plus harness overhead)');
    p();
    p('| contender | wall s | renderer | browser process | network service | other Chromium | skiff-server | harness (node) | other processes | machine busy |');
    p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const ncpu = cpus().length;
    for (const c of CONTENDERS) {
      const cs = runs[c.id].map((x) => x.cpu).filter(Boolean);
      if (!cs.length) continue;
      const md = (k) => median(cs.map((x) => x[k]));
      p(`| ${c.label} | ${f2(md('wall'))} | ${f2(md('renderer'))} | ${f2(md('browser'))} | ${f2(md('network'))} | ${f2(md('otherChromium'))} | ${f2(md('server'))} | ${f2(md('harness'))} | ${f2(md('foreign'))} | ${(median(cs.map((x) => x.busy / (x.wall * ncpu))) * 100).toFixed(0)} % of ${ncpu} CPUs |`);
    }
    p();
    if (CONTENDERS.some((c) => c.lib === 'native')) {
      p('skiff-bench rows: the client is a child process that has exited when the CPU is read, so its CPU time (including generating its random parts, untimed) counts under "other processes".');
      p();
    }
    p('Client-side primitives in this page (MiB/s, median of 3 × 48 MiB in 6 MiB pieces): ' +
      `Blob.slice().arrayBuffer() ${f1(primitives.blobSliceRead)}, Skiff md5_base64 (wasm) ${f1(primitives.skiffWasmMd5)}, ` +
      `filestack-js md5 (spark-md5, JS) ${primitives.filestackJsMd5 == null ? 'n/a' : f1(primitives.filestackJsMd5)}` +
      (primitives.md5Agree == null ? '' : ` (digests agree: ${primitives.md5Agree})`) + '.');
    p();

    const allPass = targets.every((t) => t.pass) && failures.length === 0;
    if (failures.length) {
      p('### Failures');
      p();
      for (const f of failures) p(`- ${f.contender}, round ${f.round}:\n\n\`\`\`\n${f.diag}\n\`\`\``);
      p();
    }
    p(`Result: ${allPass ? 'all targets met' : 'TARGET MISSED or a run failed'} (${((Date.now() - started) / 1000).toFixed(0)} s).`);
    console.log(out.join('\n'));
    exitCode = allPass ? 0 : 1;
  } finally {
    await cleanup();
  }
  return exitCode;
}

main().then((code) => process.exit(code), (err) => {
  console.error('[bench-browser] error:', err?.stack ?? err);
  process.exit(2);
});
