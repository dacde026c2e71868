// End-to-end: Skiff's own browser module (dist/index.js, Rust → WebAssembly) in headless Chromium
// uploads to skiff-server with `init(apikey, {baseUrl}).upload(...)`. The page and dist/ come from
// their own origin, so every API call is a real cross-origin request.
//
//   1. real files (1 B, 5 MiB + 1, 64 MiB) uploaded regular and intelligent, with tags: stored
//      bytes, echoed uploadTags, monotonic progress ending at the size;
//   2. option and validation errors (init, partSize, tags — refused before any request —, a
//      server refusal naming /multipart/start and its code);
//   3. pause / resume / cancel through the token on a 34 MiB upload (behind a throttling proxy);
//   4. intelligent ingestion through a fault-injecting proxy (≈2 MB/s, every TCP connection cut
//      1.5 s after it opened): the upload completes by shrinking its chunks; regular parts that
//      grew on a fast link go back to 6 MiB when it turns poor; a fourth regular part on the wire
//      once the first PUTs are quick, three on a slow link or where the app set concurrency;
//   5. multiupload, metadata, storeURL and remove;
//   6. store options; 7. a file that cannot be read;
//   8. progress that moves while parts are on the wire (regular and intelligent, throttled link).
//
// Run: node --test tests/e2e/skiff-upload.test.mjs   (or node --test tests/e2e/)
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ (built with scripts/build-wasm.sh when missing)
// and the server binary ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer } from './support/server.mjs';
import { launchBrowser, openPage, withUplink } from './support/browser.mjs';
import { ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { startProxy } from './support/proxy.mjs';
import { rethrowWith } from './support/diag.mjs';
import { asksOf, cutBackAt, grownAt, partSizes, shownMiB } from './support/parts.mjs';

// Servers log every request (tower_http at debug), so a failure shows what reached them.
process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
const FII_PART = 8 * MiB;
const REGULAR_PART = 6 * MiB; // the default part size of a regular upload

let direct; // skiff-server reached directly (test 1, 2)
let proxied; // skiff-server behind `gate`, a pass-through / throttling proxy (test 2, 3)
let faulty; // skiff-server behind `chaos`, the fault-injecting proxy (test 4)
let gate;
let chaos;
let site; // the page and dist/, another origin
let browser;
let tab;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clip = (s, n = 600) => (s && s.length > n ? `${s.slice(0, n)}...` : s);

before(async () => {
  ensureDist();
  [gate, chaos] = await Promise.all([startProxy({ name: 'gate' }), startProxy({ name: 'chaos' })]);
  // --public-url is the proxy's, so location_url, part URLs and result URLs all go through it.
  [direct, proxied, faulty, site] = await Promise.all([
    startServer({ name: 'direct' }),
    startServer({ name: 'proxied', extraArgs: ['--public-url', gate.url] }),
    startServer({ name: 'faulty', extraArgs: ['--public-url', chaos.url] }),
    startSkiffSite(),
  ]);
  gate.setTarget(proxied.port);
  chaos.setTarget(faulty.port);
  browser = await launchBrowser();
  tab = await openPage(browser, `${site.url}/`, () => [direct.url, gate.url, chaos.url]);
  const info = await tab.page.evaluate(() => ({ origin: location.origin, version: window.skiffVersion }));
  assert.notEqual(info.origin, direct.url, 'the page must be cross-origin to the API');
  assert.equal(typeof info.version, 'string', `the wasm did not load:\n${tab.console.join('\n')}`);
}, { timeout: 120_000 });

after(async () => {
  const steps = [
    () => browser?.close(),
    () => site?.stop(),
    () => gate?.stop(),
    () => chaos?.stop(),
    () => direct?.stop(),
    () => proxied?.stop(),
    () => faulty?.stop(),
  ];
  for (const step of steps) {
    try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
  }
});

/** A test whose failure message carries the logs of everything involved. */
function e2e(name, deadlineMs, fn) {
  test(name, { timeout: deadlineMs + 15_000 }, async (t) => {
    if (!tab) throw new Error('setup failed (see the before hook)');
    const consoleFrom = tab.console.length;
    const logFrom = [direct, proxied, faulty].map((s) => s.log().length);
    gate.clear();
    chaos.clear();
    tab.clearExchanges();
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([
        fn(t),
        new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`no result within ${deadlineMs} ms`)), deadlineMs); }),
      ]);
      t.diagnostic(`${Date.now() - t0} ms`);
    } catch (err) {
      const exchanges = tab.exchanges.map((e) => `${e.method} ${e.url} -> ${e.status}` +
        (e.requestBody !== undefined ? `\n    request:  ${clip(JSON.stringify(e.requestBody))}` : '') +
        (e.responseBody !== undefined ? `\n    response: ${clip(JSON.stringify(e.responseBody))}` : ''));
      const diag = [
        '', `--- failed after ${Date.now() - t0} ms ---`,
        '--- browser console ---', ...tab.console.slice(consoleFrom),
        '--- API exchanges seen by the browser ---', ...exchanges.slice(-200),
        ...[direct, proxied, faulty].flatMap((s, i) => [`--- ${s.name} server log ---`, s.log().slice(logFrom[i])]),
        '--- gate proxy ---', gate.log(),
        '--- chaos proxy ---', chaos.log(),
      ].join('\n');
      rethrowWith(err, diag);
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Waits until the browser has reported the complete exchange (events arrive asynchronously). */
async function exchangesUntil(pred, what) {
  for (let i = 0; i < 250; i++) {
    if (pred(tab.exchanges) && tab.exchanges.every((e) => e.method !== 'POST' || 'responseBody' in e)) return tab.exchanges;
    await sleep(20);
  }
  throw new Error(`browser never reported ${what}`);
}

/** Generates a random File in the page; returns its size and SHA-256. */
function makeFile(id, size, name, type = 'application/octet-stream') {
  return tab.page.evaluate(([i, s, n, ty]) => window.skiffRandomFile(i, s, n, ty), [id, size, name, type]);
}

const dropFile = (id) => tab.page.evaluate((i) => { delete window.skiffFiles[i]; }, id);

/**
 * `init(apikey, {baseUrl}).upload(file, uploadOptions, storeOptions)` in the page, recording
 * every onProgress and onRetry call and the bytes read for MD5s: ranges asked of the hashing
 * worker (its messages), and ranges the page reads itself with Blob.arrayBuffer (the
 * fingerprint's ends, and parts when the worker could not hash them). The reads numbered in
 * `failReads` ('all': every one) fail as an unreadable file does: the worker's answer is then an
 * error, the page's read a NotReadableError.
 * Each read is held back `holdMs` (20 by default).
 * Returns { ok, res | error, progress, retries, ms, bytesRead }.
 */
function pageUpload({ base, apikey, fileId, uploadOptions = {}, storeOptions, failReads = [], holdMs = 20 }) {
  return tab.page.evaluate(async ({ base, apikey, fileId, uploadOptions, storeOptions, failReads, holdMs }) => {
    const progress = [];
    const retries = [];
    const t0 = performance.now();
    const at = () => Math.round(performance.now() - t0);
    const arrayBuffer = Blob.prototype.arrayBuffer;
    let bytesRead = 0;
    let reads = 0;
    // Each read is also held back a little, so hashing falls behind the PUTs, as on a busy
    // machine: a part's upload call must then wait for its digest, not read the part again.
    // The reads numbered in failReads (from 0; 'all': every one) fail as an unreadable file does.
    Blob.prototype.arrayBuffer = function () {
      const n = reads++;
      if (failReads === 'all' || failReads.includes(n)) {
        return Promise.reject(new DOMException('The requested file could not be read (test)', 'NotReadableError'));
      }
      bytesRead += this.size;
      return new Promise((ok) => setTimeout(ok, holdMs)).then(() => arrayBuffer.call(this));
    };
    const postMessage = Worker.prototype.postMessage;
    // The hashing worker is asked for a batch of ranges per message; each range is a read.
    Worker.prototype.postMessage = function (data, ...rest) {
      if (!Array.isArray(data) || !data.every((r) => r?.blob instanceof Blob)) return postMessage.call(this, data, ...rest);
      const pass = [];
      for (const range of data) {
        const n = reads++;
        if (failReads === 'all' || failReads.includes(n)) {
          const answer = { data: { id: range.id, error: 'The requested file could not be read (test)' } };
          setTimeout(() => this.onmessage?.(answer), 0);
        } else {
          bytesRead += range.end - range.start;
          pass.push(range);
        }
      }
      if (pass.length > 0) setTimeout(() => postMessage.call(this, pass, ...rest), holdMs);
      return undefined;
    };
    const opts = {
      ...uploadOptions,
      onProgress: (p) => progress.push({ t: at(), totalBytes: p.totalBytes, totalPercent: p.totalPercent, totalSize: p.totalSize }),
      onRetry: (r) => retries.push({ t: at(), ...r }),
    };
    try {
      const client = window.skiff.init(apikey, { baseUrl: base });
      const res = await client.upload(window.skiffFiles[fileId], opts, storeOptions);
      return { ok: true, res: JSON.parse(JSON.stringify(res)), progress, retries, ms: at(), bytesRead };
    } catch (e) {
      return { ok: false, error: window.skiffDescribe(e), progress, retries, ms: at(), bytesRead };
    } finally {
      Blob.prototype.arrayBuffer = arrayBuffer;
      Worker.prototype.postMessage = postMessage;
    }
  }, { base, apikey, fileId, uploadOptions, storeOptions, failReads, holdMs });
}

/** Downloads a URL in Node. */
async function download(url) {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** The stored bytes (GET from Node, straight from `server`) equal the page's original. */
async function assertStoredBytes(res, expected, server) {
  const dl = await download(`${server.url}/${res.handle}`);
  assert.equal(dl.status, 200, `GET ${server.url}/${res.handle}: ${dl.status} ${dl.body.subarray(0, 300)}`);
  assert.equal(dl.body.length, expected.size, 'downloaded size');
  assert.equal(sha256(dl.body), expected.sha256, 'SHA-256 of the stored bytes vs the original in the page');
}

function assertResult(res, { url, size, filename, tags }) {
  assert.equal(typeof res.handle, 'string', `no handle in ${JSON.stringify(res)}`);
  assert.match(res.handle, /^[A-Za-z0-9_-]+$/);
  assert.equal(res.url, `${url}/${res.handle}`, 'result.url');
  assert.equal(res.size, size, 'result.size');
  assert.equal(res.filename, filename, 'result.filename');
  assert.equal(res.mimetype, 'application/octet-stream', 'result.mimetype');
  assert.equal(res.status, 'Stored', 'result.status');
  for (const k of ['key', 'container']) assert.ok(k in res, `result.${k} missing in ${JSON.stringify(res)}`);
  assert.deepEqual(res.uploadTags, tags, 'uploadTags must echo the tags sent');
}

/** onProgress: totalBytes never goes down, never passes the size, and ends at the size. */
function assertProgress(progress, size) {
  assert.ok(progress.length >= 2, `onProgress called ${progress.length} time(s): ${JSON.stringify(progress)}`);
  let prev = -1;
  for (const p of progress) {
    assert.equal(typeof p.totalBytes, 'number', `totalBytes in ${JSON.stringify(p)}`);
    assert.ok(p.totalBytes >= prev, `totalBytes went back from ${prev} to ${p.totalBytes}: ${JSON.stringify(progress)}`);
    assert.ok(p.totalBytes <= size, `totalBytes ${p.totalBytes} over the size ${size}`);
    if (p.totalBytes > 0) assert.equal(p.totalSize, size, `totalSize in ${JSON.stringify(p)}`);
    prev = p.totalBytes;
  }
  const last = progress.at(-1);
  assert.equal(last.totalBytes, size, `last onProgress: ${JSON.stringify(last)}`);
  assert.equal(last.totalPercent, 100, `last onProgress: ${JSON.stringify(last)}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Real files, regular and intelligent, with tags.

/**
 * The parts a regular upload asked for keep their layout (support/parts.mjs). Whether they grew
 * depends on the option (`growParts`, off for `client.upload`) and on how fast the first PUTs
 * went, so it is reported, not asserted.
 */
function assertPartLayout(t, ex, size) {
  t.diagnostic(`part sizes (MiB): ${shownMiB(partSizes(asksOf(ex), size))}`);
}

const SIZES = [
  { label: '1 B', size: 1 },
  { label: '5 MiB + 1', size: 5 * MiB + 1 },
  { label: '64 MiB + 4321', size: 64 * MiB + 4321 },
];

for (const { label, size } of SIZES) {
  for (const mode of ['regular', 'intelligent']) {
    e2e(`1. ${mode} upload of a ${label} file with tags: bytes, uploadTags, progress, one read per byte`, 90_000, async (t) => {
      const id = `f${size}${mode}`;
      const filename = `random-${size}-${mode}.bin`;
      const tags = { suite: 'skiff-upload', size: String(size), mode };
      const file = await makeFile(id, size, 'source.dat');
      const consoleFrom = tab.console.length;
      try {
        const uploadOptions = { tags, progressInterval: 50, retry: 2 };
        if (mode === 'intelligent') uploadOptions.intelligent = true;
        const r = await pageUpload({ base: direct.url, apikey: direct.apikey, fileId: id, uploadOptions, storeOptions: { filename } });
        assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}`);
        t.diagnostic(`upload took ${r.ms} ms, ${r.progress.length} onProgress calls, ${r.retries.length} retries`);
        assertResult(r.res, { url: direct.url, size, filename, tags });
        assert.deepEqual(r.retries, [], 'no retries against a healthy local server');
        // Every byte once for its MD5, plus the two ends (64 KiB at most each) that the
        // fingerprint of a resumable upload covers; a regular upload of one part is not kept for
        // a reload, so its ends are not read.
        const kept = mode === 'intelligent' || size > REGULAR_PART;
        const ends = kept ? 2 * Math.min(size, 64 * 1024) : 0;
        assert.equal(r.bytesRead, size + ends, 'every byte read once for its MD5 (no range hashed twice)');

        const ex = await exchangesUntil((x) => x.some((e) => e.path === '/multipart/complete' && e.status === 200), 'complete → 200');
        const start = ex.find((e) => e.path === '/multipart/start');
        assert.equal(start.requestBody.size, size);
        // Complete leaves with the last PUTs, or the last commits (`await_parts`), and the server
        // holds it until they are in: one complete.
        assert.equal(start.responseBody.await_parts, true, 'start offers complete ahead of the last parts');
        const completes = ex.filter((e) => e.path === '/multipart/complete');
        assert.equal(completes.length, 1, 'one complete');
        assert.equal(completes[0].requestBody.await_parts, true, 'complete went with the last parts');
        if (mode === 'intelligent') {
          assert.equal(start.requestBody.fii, true, 'start asks for intelligent ingestion');
          assert.equal(start.responseBody.upload_type, 'intelligent_ingestion');
          assert.equal(start.requestBody.first_part, undefined, 'chunks are cut as they go: none signed ahead');
          const commits = ex.filter((e) => e.path === '/multipart/commit');
          assert.equal(commits.length, Math.ceil(size / FII_PART), 'one commit per 8 MiB part');
        } else {
          assert.equal(start.requestBody.fii, undefined, 'a regular upload does not ask for FII');
          assert.equal(ex.filter((e) => e.path === '/multipart/commit').length, 0, 'no commit in a regular upload');
          // Start's answer signs part 1 (`first_part`), which then asks for no URL of its own: a
          // file of one part is start, its PUT and complete.
          assert.equal(start.requestBody.first_part, Math.min(size, REGULAR_PART), 'start asks to sign part 1');
          assert.ok(start.responseBody.first_part?.url, `start's answer signs part 1: ${JSON.stringify(start.responseBody)}`);
          const asked = ex.filter((e) => e.path === '/multipart/upload').map((e) => e.requestBody.part);
          assert.ok(!asked.includes(1), `part 1 asks for no URL: ${JSON.stringify(asked)}`);
          assertPartLayout(t, ex, size);
          // Complete lists every part with the ETag it expects (the MD5 where the PUT had not
          // answered).
          const listed = completes[0].requestBody.parts.map((p) => p.part_number);
          const parts = partSizes(asksOf(ex), size).length;
          assert.deepEqual(listed, Array.from({ length: parts }, (_, i) => i + 1), 'every part listed');
        }
        const [complete] = completes;
        assert.deepEqual(complete.requestBody.upload_tags, tags, 'complete carries the tags');
        assert.equal(complete.responseBody.handle, r.res.handle);

        assertProgress(r.progress, size);
        await assertStoredBytes(r.res, file, direct);
        const problems = tab.console.slice(consoleFrom).filter((l) => /^\[(console\.error|console\.warning|pageerror|requestfailed)\]/.test(l));
        assert.deepEqual(problems, [], 'no errors, warnings or failed requests in the page');
      } finally {
        await dropFile(id);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Option and validation errors.

e2e('2a. init refuses an empty apikey and an unknown client option, synchronously', 20_000, async () => {
  const r = await tab.page.evaluate(() => {
    const attempt = (f) => {
      try {
        const v = f();
        return { threw: false, isPromise: v instanceof Promise };
      } catch (e) {
        return { threw: true, ...window.skiffDescribe(e) };
      }
    };
    return {
      empty: attempt(() => window.skiff.init('')),
      blank: attempt(() => window.skiff.init('   ')),
      misspelt: attempt(() => window.skiff.init('k', { basURL: 'x' })),
      fine: attempt(() => window.skiff.init('k', { baseUrl: 'http://127.0.0.1:9' })),
    };
  });
  assert.equal(r.empty.threw, true, `init('') must throw: ${JSON.stringify(r.empty)}`);
  assert.equal(r.empty.isError, true, 'init(\'\') throws an Error');
  assert.match(r.empty.message, /apikey/i);
  assert.equal(r.blank.threw, true, 'init(\'   \') must throw');
  assert.equal(r.misspelt.threw, true, `init('k', {basURL}) must throw: ${JSON.stringify(r.misspelt)}`);
  assert.equal(r.misspelt.isError, true);
  assert.match(r.misspelt.message, /basURL/, 'the message names the unknown option');
  assert.deepEqual(r.fine, { threw: false, isPromise: false }, 'init returns a client synchronously');
});

/**
 * Nothing reached `server` (behind `proxy`): no page request to the proxy's origin, no request
 * through the proxy, no request in the server's log since `logFrom`. Checked once a marker request,
 * sent by the page after the refusals, has been logged by the server: a request the page had sent
 * before it would have shown up everywhere by then. The marker is the one connection and the one
 * request allowed.
 */
async function assertNothingReached(proxy, server, logFrom, pageRequests, what) {
  const marker = `/nothing-before-this-${Date.now()}`;
  await tab.page.evaluate((url) => fetch(url, { mode: 'no-cors', cache: 'no-store' }).then(() => undefined), `${proxy.url}${marker}`);
  const logged = () => server.log().slice(logFrom).split('\n').filter((l) => l.includes('started processing request'));
  for (const deadline = Date.now() + 5000; !logged().some((l) => l.includes(marker)) && Date.now() < deadline;) await sleep(20);
  assert.ok(logged().some((l) => l.includes(marker)), `${what}: the server never logged the marker request\n${server.log().slice(logFrom)}`);

  assert.deepEqual(pageRequests.filter((u) => u.startsWith(proxy.url) && !u.endsWith(marker)), [], `${what}: the browser sent requests`);
  assert.ok(proxy.connections.length <= 1, `${what}: ${proxy.connections.length} connection(s) reached the server's proxy\n${proxy.log()}`);
  assert.deepEqual(proxy.requests.map((r) => `${r.method} ${r.path}`), [`GET ${marker}`], `${what}: requests reached the server`);
  assert.deepEqual(logged().filter((l) => !l.includes(marker)), [], `${what}: the server log shows requests`);
}

e2e('2b. bad upload options reject with an Error naming them, before any request', 30_000, async () => {
  await makeFile('small', 1000, 'small.bin');
  const logFrom = proxied.log().length;
  const pageRequests = [];
  const onRequest = (req) => pageRequests.push(req.url());
  tab.page.on('request', onRequest);
  try {
    gate.configure({ rate: null, lifetimeMs: null });
    const partSize = await pageUpload({ base: gate.url, apikey: proxied.apikey, fileId: 'small', uploadOptions: { partSize: 1024 } });
    assert.equal(partSize.ok, false, `partSize 1024 must be refused: ${JSON.stringify(partSize.res)}`);
    assert.equal(partSize.error.isError, true, `rejects with an Error: ${JSON.stringify(partSize.error)}`);
    assert.match(partSize.error.message, /partSize/, 'the message names partSize');

    const tags = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`key${i}`, `value${i}`]));
    const tooMany = await pageUpload({ base: gate.url, apikey: proxied.apikey, fileId: 'small', uploadOptions: { tags } });
    assert.equal(tooMany.ok, false, `11 tags must be refused: ${JSON.stringify(tooMany.res)}`);
    assert.equal(tooMany.error.isError, true, `rejects with an Error: ${JSON.stringify(tooMany.error)}`);
    assert.match(tooMany.error.message, /tags/, 'the message mentions tags');
    assert.deepEqual(tooMany.progress.filter((p) => p.totalBytes > 0), [], 'no progress');

    await assertNothingReached(gate, proxied, logFrom, pageRequests, 'refused options');
  } finally {
    tab.page.off('request', onRequest);
    await dropFile('small');
  }
});

e2e('2c. a server refusal (unknown apikey → 403 invalid_api_key) names /multipart/start and the code', 30_000, async () => {
  await makeFile('small', 1000, 'small.bin');
  try {
    const r = await pageUpload({ base: direct.url, apikey: 'no-such-app', fileId: 'small', uploadOptions: { retry: 3 } });
    assert.equal(r.ok, false, `an unknown apikey must be refused: ${JSON.stringify(r.res)}`);
    assert.equal(r.error.isError, true, `rejects with an Error: ${JSON.stringify(r.error)}`);
    assert.match(r.error.message, /\/multipart\/start/, 'the message names the failing request');
    assert.match(r.error.message, /invalid_api_key/, 'the message carries the server\'s code');
    assert.match(r.error.message, /403/, 'the message carries the HTTP status');
    assert.equal(r.error.code, 'invalid_api_key', 'error.code');
    assert.deepEqual(r.retries, [], 'a 4xx refusal is not retried');
    const ex = await exchangesUntil((x) => x.some((e) => e.path === '/multipart/start'), '/multipart/start');
    const starts = ex.filter((e) => e.path === '/multipart/start');
    assert.equal(starts.length, 1, 'start sent once');
    assert.equal(starts[0].status, 403);
    assert.equal(starts[0].responseBody?.error?.code, 'invalid_api_key');
  } finally {
    await dropFile('small');
  }
});

// ---------------------------------------------------------------------------------------------
// 3. pause / resume / cancel through the token (behind the throttling proxy, so it takes a while).

const PAUSE_SIZE = 34 * MiB + 77;
const PAUSE_RATE = 16_000_000; // ≈ 2.2 s for the whole file

/** Starts an upload in the page that calls token[action]() at its first progress past 0. */
function startControlledUpload(fileId, action) {
  return tab.page.evaluate(({ base, apikey, fileId, action }) => {
    const run = { progress: [], retries: [], actedAt: null, actedBytes: null, settled: null, t0: performance.now() };
    const at = () => Math.round(performance.now() - run.t0);
    run.token = {};
    const client = window.skiff.init(apikey, { baseUrl: base });
    const file = window.skiffFiles[fileId];
    run.done = client.upload(file, {
      progressInterval: 50,
      onProgress: (p) => {
        run.progress.push({ t: at(), totalBytes: p.totalBytes, totalPercent: p.totalPercent, totalSize: p.totalSize });
        if (run.actedAt === null && p.totalBytes > 0 && p.totalBytes < file.size) {
          run.actedAt = at();
          run.actedBytes = p.totalBytes;
          run.token[action]();
        }
      },
      onRetry: (r) => run.retries.push({ t: at(), ...r }),
    }, { filename: `${action}.bin` }, run.token).then(
      (res) => { run.settled = { t: at(), ok: true, res: JSON.parse(JSON.stringify(res)) }; },
      (e) => { run.settled = { t: at(), ok: false, error: window.skiffDescribe(e) }; },
    );
    window.skiffRun = run;
  }, { base: gate.url, apikey: proxied.apikey, fileId, action });
}

const runState = () => tab.page.evaluate(() => {
  const { progress, retries, actedAt, actedBytes, settled } = window.skiffRun;
  return { progress, retries, actedAt, actedBytes, settled, now: Math.round(performance.now() - window.skiffRun.t0) };
});

/**
 * Waits until no connection through `gate` is still carrying a PUT body: the browser has closed
 * the connections of the PUTs it aborted, and the proxy has forwarded what they held. Bytes the
 * browser handed to its socket before an abort sit in loopback's socket buffers and still cross
 * the proxy afterwards (an upload's progress counts them as sent); the checks that nothing more
 * is sent start once they are through.
 */
async function gateDrained(ms = 5_000) {
  const deadline = Date.now() + ms;
  const open = () => gate.connections.filter((c) => c.closedAt === null &&
    gate.requests.some((r) => r.conn === c.id && r.method === 'PUT' && !r.bodyDone));
  while (open().length > 0) {
    if (Date.now() > deadline) throw new Error(`connections still carrying a PUT ${ms} ms later: the PUTs were not aborted\n${gate.log()}`);
    await sleep(25);
  }
}

async function waitRun(pred, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await runState();
    if (pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}; state ${clip(JSON.stringify(s), 2000)}`);
    await sleep(25);
  }
}

e2e('3a. pause stops the upload (no progress, no requests for ~1 s), resume completes it', 60_000, async (t) => {
  const file = await makeFile('pausable', PAUSE_SIZE, 'pausable.bin');
  try {
    gate.configure({ rate: PAUSE_RATE, lifetimeMs: null });
    await startControlledUpload('pausable', 'pause');
    const paused = await waitRun((s) => s.actedAt !== null || s.settled, 'the first progress (to pause at)');
    assert.equal(paused.settled, null, `the upload ended before it could be paused: ${JSON.stringify(paused.settled)}`);
    t.diagnostic(`paused at ${paused.actedAt} ms with ${paused.actedBytes} of ${PAUSE_SIZE} bytes`);

    // Grace for what was already queued when pause() was called, then ~1 s of silence.
    await sleep(300);
    await gateDrained();
    const quietFrom = gate.now();
    const bytesFrom = gate.upBytes();
    const before = await runState();
    await sleep(1000);
    const during = await runState();
    const quietTo = gate.now();
    const bytesTo = gate.upBytes();
    const requests = gate.requestsSince(quietFrom).filter((r) => r.at <= quietTo);
    assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), [], 'no request reached the server while paused');
    t.diagnostic(`bytes sent to the server while paused: ${bytesTo - bytesFrom}`);
    assert.ok(bytesTo - bytesFrom < 64 * 1024, `${bytesTo - bytesFrom} bytes went to the server while paused: the PUTs in flight were not aborted`);
    const calls = during.progress.filter((p) => p.t > before.now);
    assert.deepEqual(calls, [], 'no onProgress while paused');
    assert.equal(during.settled, null, `the paused upload settled: ${JSON.stringify(during.settled)}`);
    const pausedBytes = during.progress.at(-1).totalBytes;
    assert.ok(pausedBytes < PAUSE_SIZE, `paused with ${pausedBytes} of ${PAUSE_SIZE} bytes`);

    const resumeAt = gate.now();
    await tab.page.evaluate(() => window.skiffRun.token.resume());
    const end = await waitRun((s) => s.settled, 'the resumed upload to finish');
    assert.ok(end.settled.ok, `the resumed upload failed: ${JSON.stringify(end.settled.error)}`);
    assert.ok(gate.requestsSince(resumeAt).some((r) => r.method === 'PUT'), 'the upload went on after resume');
    assert.ok(gate.requestsSince(resumeAt).some((r) => r.path === '/multipart/complete'), 'complete after resume');
    assertResult(end.settled.res, { url: gate.url, size: PAUSE_SIZE, filename: 'pause.bin', tags: {} });
    assertProgress(end.progress, PAUSE_SIZE);
    await assertStoredBytes(end.settled.res, file, proxied);
  } finally {
    gate.configure({ rate: null, lifetimeMs: null });
    await dropFile('pausable');
  }
});

e2e('3b. cancel rejects with a "cancelled" Error and stops every request', 60_000, async (t) => {
  await makeFile('doomed', PAUSE_SIZE, 'doomed.bin');
  try {
    gate.configure({ rate: PAUSE_RATE, lifetimeMs: null });
    await startControlledUpload('doomed', 'cancel');
    const s = await waitRun((x) => x.actedAt !== null || x.settled, 'the first progress (to cancel at)');
    const cancelledAt = gate.now();
    const end = await waitRun((x) => x.settled, 'the cancelled upload to settle', 5000);
    assert.equal(end.settled.ok, false, `a cancelled upload must reject; it resolved ${JSON.stringify(end.settled.res)}`);
    assert.equal(end.settled.error.isError, true, `rejects with an Error: ${JSON.stringify(end.settled.error)}`);
    assert.match(end.settled.error.message, /cancel/i, 'the message says it was cancelled');
    assert.ok(end.settled.t - s.actedAt < 2000, `settled ${end.settled.t - s.actedAt} ms after cancel()`);

    await sleep(300);
    await gateDrained();
    const bytesFrom = gate.upBytes();
    await sleep(700);
    assert.ok(gate.upBytes() - bytesFrom < 64 * 1024, `${gate.upBytes() - bytesFrom} bytes went to the server after cancel: the PUTs in flight were not aborted`);
    const late = gate.requestsSince(cancelledAt + 300);
    assert.deepEqual(late.map((r) => `${r.method} ${r.path}`), [], 'no request after cancel');
    assert.ok(!gate.requests.some((r) => r.path === '/multipart/complete'), 'a cancelled upload is never completed');
  } finally {
    gate.configure({ rate: null, lifetimeMs: null });
    await dropFile('doomed');
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Intelligent ingestion through a hostile network: slow, and every connection dies young.

const CHAOS_SIZE = 12 * MiB + 999;
const CHAOS_RATE = 2_000_000; // bytes/s, each direction, shared by all connections
const CHAOS_LIFETIME_MS = 1500; // per TCP connection, from accept, reused or not

e2e('4. intelligent upload through a throttled proxy that cuts every connection after 1.5 s', 150_000, async (t) => {
  const file = await makeFile('chaos', CHAOS_SIZE, 'chaos.bin');
  const puts = []; // PUTs the browser saw finish, with the body size
  const onFinished = async (req) => {
    if (req.method() !== 'PUT' || !req.url().startsWith(chaos.url)) return;
    const res = await req.response();
    const headers = await req.allHeaders().catch(() => ({}));
    puts.push({ status: res?.status(), bytes: Number(headers['content-length'] ?? NaN), url: req.url() });
  };
  tab.page.on('requestfinished', onFinished);
  try {
    chaos.configure({ rate: CHAOS_RATE, lifetimeMs: CHAOS_LIFETIME_MS });
    const tags = { suite: 'skiff-upload', network: 'hostile' };
    const r = await pageUpload({
      base: chaos.url,
      apikey: faulty.apikey,
      fileId: 'chaos',
      uploadOptions: { intelligent: true, tags, timeout: 5000, retry: 10, retryMaxTime: 1000, progressInterval: 100 },
      storeOptions: { filename: 'chaos.bin' },
    });
    const cut = chaos.connections.filter((c) => c.cut);
    t.diagnostic(`upload took ${r.ms} ms; ${chaos.connections.length} connections, ${cut.length} cut by the proxy; ${r.retries.length} retries`);
    t.diagnostic(`onRetry chunkSize: ${r.retries.map((x) => x.chunkSize ?? '-').join(' ')}`);
    if (process.env.SKIFF_E2E_VERBOSE) {
      for (const x of r.retries) t.diagnostic(`onRetry ${JSON.stringify(x)}`);
      for (const line of chaos.log().split('\n')) t.diagnostic(line);
    }
    assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}\nonRetry calls: ${JSON.stringify(r.retries, null, 1)}`);
    assertResult(r.res, { url: chaos.url, size: CHAOS_SIZE, filename: 'chaos.bin', tags });
    assertProgress(r.progress, CHAOS_SIZE);
    await assertStoredBytes(r.res, file, faulty);

    // The proxy really was hostile, to reused keep-alive connections too.
    assert.ok(cut.length > 0, 'the proxy cut connections');
    const cutPuts = chaos.requests.filter((q) => q.method === 'PUT' && !q.bodyDone);
    t.diagnostic(`PUT bodies cut by the proxy (forwarded/size): ${cutPuts.map((q) => `${q.forwarded}/${q.contentLength}`).join(' ')}`);
    assert.ok(cutPuts.length > 0, 'the proxy cut a PUT in the middle of its body');
    assert.ok(cut.some((c) => c.requests >= 2), `a reused (keep-alive) connection was cut: ${JSON.stringify(cut)}`);

    // Chunks shrank: onRetry reported smaller and smaller chunk sizes.
    for (const x of r.retries) {
      for (const k of ['filename', 'request', 'attempt', 'delay', 'reason']) assert.ok(k in x, `onRetry argument lacks ${k}: ${JSON.stringify(x)}`);
      assert.equal(x.filename, 'chaos.bin');
    }
    const sizes = r.retries.map((x) => x.chunkSize).filter((s) => typeof s === 'number');
    assert.ok(sizes.length >= 2, `onRetry got chunkSize ${sizes.length} time(s): ${JSON.stringify(r.retries)}`);
    assert.ok(sizes.some((s, i) => i > 0 && s < sizes[i - 1]), `chunkSize never shrank between retries: ${sizes.join(', ')}`);
    assert.ok(Math.min(...sizes) < FII_PART / 2, `chunkSize stayed at ${Math.min(...sizes)} or more`);

    // What got through were chunks smaller than a part. The browser had every successful PUT's
    // response before the upload could finish; this side records them asynchronously, so wait
    // until its record carries the whole file.
    const okPuts = () => puts.filter((p) => p.status >= 200 && p.status < 300);
    const covered = () => okPuts().reduce((a, p) => a + p.bytes, 0) >= CHAOS_SIZE;
    for (const deadline = Date.now() + 5000; !covered() && Date.now() < deadline;) await sleep(20);
    const ok = okPuts();
    t.diagnostic(`successful PUT sizes: ${ok.map((p) => p.bytes).join(' ')}`);
    assert.ok(ok.length > 0, `no successful PUT seen: ${JSON.stringify(puts)}`);
    assert.ok(ok.every((p) => p.bytes < FII_PART), `a successful PUT was not smaller than 8 MiB: ${JSON.stringify(ok.map((p) => p.bytes))}`);
    assert.ok(ok.reduce((a, p) => a + p.bytes, 0) >= CHAOS_SIZE, 'the successful PUTs carry at least the whole file');
  } finally {
    tab.page.off('requestfinished', onFinished);
    chaos.configure({ rate: null, lifetimeMs: null });
    await dropFile('chaos');
  }
});

// Regular parts grown on a fast link, then the link turns poor: each connection carries 24 MiB/s
// (parts of about 20 MiB would take a second: they grow), and once a bigger part is in,
// every connection is dropped, and from then on they carry 4 MiB/s and are cut 2.5 s after they
// open. A 6 MiB part then takes 1.5 s; a bigger one is cut every time, so the parts not yet
// stored go back to 6 MiB.
const POOR_SIZE = 160 * MiB + 77;

e2e('4c. regular parts that grew go back to 6 MiB when the link turns poor', 150_000, async (t) => {
  const file = await makeFile('poor', POOR_SIZE, 'poor.bin');
  let turned = false;
  // The first of the bigger parts: parts are asked for in order.
  let firstBig = Infinity;
  const onRequest = (req) => {
    if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/multipart/upload') return;
    const ask = req.postDataJSON();
    if (ask?.size > 6 * MiB) firstBig = Math.min(firstBig, Number(ask.part));
  };
  // Once the browser has the answer to the first bigger part's PUT. (Were a later one the first
  // in, the first would be cut back from, and the one in sent again in 6 MiB parts: grow.rs's
  // cut_point.)
  const onFinished = async (req) => {
    if (turned || req.method() !== 'PUT' || !req.url().startsWith(chaos.url)) return;
    const headers = await req.allHeaders().catch(() => ({}));
    const res = await req.response();
    const part = Number(new URLSearchParams(headers['x-skiff-part'] ?? '').get('part'));
    if (turned || !(Number(headers['content-length']) > 6 * MiB) || res?.status() !== 200 || part !== firstBig) return;
    // A connection's rate is set when it opens: the link turns by dropping them all.
    turned = true;
    chaos.configure({ connRate: 4 * MiB, lifetimeMs: 2500 });
    chaos.destroyAll();
  };
  tab.page.on('request', onRequest);
  tab.page.on('requestfinished', onFinished);
  try {
    chaos.configure({ rate: null, connRate: 24 * MiB, lifetimeMs: null });
    const r = await pageUpload({
      base: chaos.url,
      apikey: faulty.apikey,
      fileId: 'poor',
      uploadOptions: { growParts: true, retry: 10, retryMaxTime: 1000 },
      storeOptions: { filename: 'poor.bin' },
    });
    assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}\nonRetry calls: ${JSON.stringify(r.retries, null, 1)}`);
    await assertStoredBytes(r.res, file, faulty);
    const ex = await exchangesUntil((x) => x.some((e) => e.path === '/multipart/complete' && e.status === 200), 'complete → 200');
    const sizes = partSizes(asksOf(ex), POOR_SIZE);
    const bigCut = chaos.requests.filter((q) => q.method === 'PUT' && q.contentLength > 6 * MiB && !q.bodyDone);
    t.diagnostic(`upload took ${r.ms} ms; part sizes (MiB): ${shownMiB(sizes)}; bigger PUTs cut: ${bigCut.length}; ${r.retries.length} retries`);
    // Whether the parts grew depends on how fast this machine carried the first ones.
    if (!turned) {
      t.diagnostic('the parts did not grow here: nothing to cut back');
      return;
    }
    // The bigger parts in before the link turned kept their size; from the first not done on,
    // the parts went back to 6 MiB, and onRetry said why.
    assert.ok(grownAt(sizes) >= 0 && cutBackAt(sizes) > grownAt(sizes), `bigger parts, then 6 MiB ones: ${shownMiB(sizes)}`);
    assert.ok(r.retries.some((x) => / goes again as parts of 6291456$/.test(x.reason ?? '')), `onRetry said why: ${JSON.stringify(r.retries)}`);
  } finally {
    tab.page.off('request', onRequest);
    tab.page.off('requestfinished', onFinished);
    chaos.configure({ rate: null, connRate: null, lifetimeMs: null });
    await dropFile('poor');
  }
});

// A link that limits each connection on its own (a per-flow shaper): parts whose chunks have
// shrunk are split into lanes, so a part's chunks go out on two connections at once.
const LANES_SIZE = 16 * MiB + 5;

/**
 * Counts the PUTs on the wire at once in the page (the uploader PUTs with XMLHttpRequest) until
 * `stop()`, which gives the most at once and how long each PUT took, in the order they left.
 * A PUT ends at its load, error, abort or timeout event, heard before the uploader's own handler
 * (added at open, which comes before it sets its handlers): the uploader may send the next PUT
 * from its handler, before the request's loadend.
 */
async function countPuts() {
  await tab.page.evaluate(() => {
    const count = { now: 0, max: 0, took: [], spans: [], t0: performance.now() };
    const { open, send } = XMLHttpRequest.prototype;
    window.skiffPutCount = { count, open, send };
    XMLHttpRequest.prototype.open = function (method, ...rest) {
      this.skiffPut = method === 'PUT';
      if (this.skiffPut) {
        let ended = false;
        const end = () => {
          if (ended || this.skiffSentAt === undefined) return;
          ended = true;
          count.now--;
          count.took[this.skiffIndex] = performance.now() - this.skiffSentAt;
          count.spans[this.skiffIndex] = [Math.round(this.skiffSentAt - count.t0), Math.round(performance.now() - count.t0)];
        };
        for (const e of ['load', 'error', 'abort', 'timeout']) this.addEventListener(e, end);
      }
      return open.call(this, method, ...rest);
    };
    XMLHttpRequest.prototype.send = function (...args) {
      if (this.skiffPut) {
        count.max = Math.max(count.max, ++count.now);
        this.skiffIndex = count.took.push(null) - 1;
        this.skiffSentAt = performance.now();
      }
      return send.apply(this, args);
    };
  });
  // Once: a test's finally may stop it again after its body did.
  let stopped;
  return {
    stop: () => (stopped ??= tab.page.evaluate(() => {
      const { count, open, send } = window.skiffPutCount;
      Object.assign(XMLHttpRequest.prototype, { open, send });
      return { most: count.max, took: count.took, spans: count.spans };
    })),
  };
}

e2e('4b. intelligent upload over a link that limits and cuts each connection: lanes', 120_000, async (t) => {
  const file = await makeFile('lanes', LANES_SIZE, 'lanes.bin');
  const puts = await countPuts();
  try {
    chaos.configure({ rate: null, connRate: MiB, lifetimeMs: 3000 });
    // A connection takes the faults in force when it opens: keep-alive connections the browser
    // still holds from earlier tests would carry this upload unlimited.
    chaos.destroyAll();
    const tags = { suite: 'skiff-upload', network: 'per-connection' };
    const r = await pageUpload({
      base: chaos.url,
      apikey: faulty.apikey,
      fileId: 'lanes',
      uploadOptions: { intelligent: true, tags },
      storeOptions: { filename: 'lanes.bin' },
    });
    const { most } = await puts.stop();
    assert.ok(chaos.connections.some((c) => c.cut), 'the proxy cut connections (its faults applied)');
    t.diagnostic(`upload took ${r.ms} ms; at most ${most} PUTs at once; onRetry chunkSize: ${r.retries.map((x) => x.chunkSize ?? '-').join(' ')}`);
    assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}\nonRetry calls: ${JSON.stringify(r.retries, null, 1)}`);
    assertResult(r.res, { url: chaos.url, size: LANES_SIZE, filename: 'lanes.bin', tags });
    assertProgress(r.progress, LANES_SIZE);
    await assertStoredBytes(r.res, file, faulty);
    // Two whole parts and 5 bytes: more than two PUTs at once means a part had two lanes (both
    // parts can split once their chunks have shrunk, so up to four go at once).
    assert.ok(most > 2, `at most ${most} PUTs were on the wire at once`);
  } finally {
    await puts.stop();
    chaos.configure({ connRate: null, lifetimeMs: null });
    await dropFile('lanes');
  }
});

// A regular upload puts a fourth part on the wire once its first three PUTs each took at most
// 500 ms (crates/engine/src/widen.rs); on a link where a 6 MiB part takes 1.5 s it keeps three,
// and so it does where the app set `concurrency` itself. 16 parts: the first nine are hashed one
// at a time, and on the loopback their answers wait for those digests (each holds its slot), so
// four only show on the wire once the parts ahead are hashed in batches. The hashing worker's
// messages are not held back here (`holdMs: 0`).
const WIDE_SIZE = 96 * MiB + 3;

e2e('4d. a fourth regular part on the wire once the first PUTs are quick; three on a slow link or a concurrency set', 120_000, async (t) => {
  const file = await makeFile('wide', WIDE_SIZE, 'wide.bin');
  const upload = async (base, apikey, uploadOptions) => {
    const puts = await countPuts();
    let r;
    try {
      r = await pageUpload({ base, apikey, fileId: 'wide', uploadOptions, storeOptions: { filename: 'wide.bin' }, holdMs: 0 });
    } finally {
      r = { ...r, ...(await puts.stop()) };
    }
    assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}`);
    return r;
  };
  try {
    const fast = await upload(direct.url, direct.apikey, {});
    await assertStoredBytes(fast.res, file, direct);
    // Whether the first PUTs were quick enough depends on the machine's load. The engine times a
    // PUT until its answer reaches it, which may wait for the part's MD5 (parts go before it):
    // four are asserted only where the requests took half the limit.
    const quick = fast.took.slice(0, 3).every((ms) => ms <= 250);
    t.diagnostic(`the loopback: at most ${fast.most} PUTs at once; the first three took ${fast.took.slice(0, 3).map(Math.round).join(', ')} ms; the first PUTs (sent, ended, ms): ${JSON.stringify(fast.spans.slice(0, 8))}`);
    if (quick) assert.equal(fast.most, 4, 'three quick PUTs, then four at once');
    else assert.ok(fast.most <= 4, `at most ${fast.most} PUTs at once`);

    const chosen = await upload(direct.url, direct.apikey, { concurrency: 3 });
    assert.equal(chosen.most, 3, 'the concurrency the app set');

    chaos.configure({ rate: null, connRate: 4 * MiB, lifetimeMs: null });
    chaos.destroyAll();
    const slow = await upload(chaos.url, faulty.apikey, {});
    await assertStoredBytes(slow.res, file, faulty);
    t.diagnostic(`4 MiB/s per connection: at most ${slow.most} PUTs at once; PUTs took ${slow.took.map(Math.round).join(', ')} ms`);
    assert.equal(slow.most, 3, 'a 6 MiB part takes 1.5 s on this link: three stay');
  } finally {
    chaos.configure({ connRate: null });
    await dropFile('wide');
  }
});

e2e('5. multiupload, metadata, storeURL (refused for loopback by default) and remove', 30_000, async () => {
  await makeFile('m1', 3000, 'one.txt', 'text/plain');
  const b = await makeFile('m2', 70_000, 'two.bin');
  const out = await tab.page.evaluate(async ({ base, apikey }) => {
    const client = window.skiff.init(apikey, { baseUrl: base });
    const describe = (p) => p.then((v) => ({ ok: true, v: JSON.parse(JSON.stringify(v)) }), (e) => ({ ok: false, error: window.skiffDescribe(e) }));
    const multi = await describe(client.multiupload([window.skiffFiles.m1, window.skiffFiles.m2], { tags: { batch: '7' } }));
    const handle = multi.ok ? multi.v[0].handle : undefined;
    const meta = await describe(client.metadata(handle, { size: true, filename: true, upload_tags: true }));
    const stored = await describe(client.storeURL(multi.ok ? multi.v[1].url : 'x', { filename: 'copy.bin' }, undefined, undefined, { via: 'url' }));
    const removed = await describe(client.remove(handle));
    const gone = await describe(client.metadata(handle));
    return { multi, meta, stored, removed, gone };
  }, { base: direct.url, apikey: direct.apikey });
  assert.ok(out.multi.ok, JSON.stringify(out.multi));
  assert.deepEqual(out.multi.v.map((r) => [r.filename, r.size, r.uploadTags]), [['one.txt', 3000, { batch: '7' }], ['two.bin', 70_000, { batch: '7' }]]);
  await assertStoredBytes(out.multi.v[1], b, direct);
  assert.ok(out.meta.ok, JSON.stringify(out.meta));
  assert.deepEqual([out.meta.v.size, out.meta.v.filename, out.meta.v.upload_tags, out.meta.v.handle], [3000, 'one.txt', { batch: '7' }, out.multi.v[0].handle]);
  assert.equal(out.stored.ok, false, 'the default server refuses to fetch loopback URLs');
  assert.match(out.stored.error.message ?? JSON.stringify(out.stored.error), /url_not_allowed/);
  assert.ok(out.removed.ok, JSON.stringify(out.removed));
  assert.equal(out.gone.ok, false);
  assert.match(out.gone.error.message ?? JSON.stringify(out.gone.error), /404.*file_not_found/);
});

e2e('6. store options: a filename function, disableStorageKey and the default sanitizer', 30_000, async () => {
  await makeFile('s1', 1000, 'report #1.txt', 'text/plain');
  await makeFile('s2', 2000, 'plan.txt', 'text/plain');
  const out = await tab.page.evaluate(async ({ base, apikey }) => {
    const client = window.skiff.init(apikey, { baseUrl: base });
    const plain = await client.upload(window.skiffFiles.s1);
    const renamed = await client.upload(window.skiffFiles.s2, {}, { filename: (f) => `v2-${f.name}`, path: 'docs', disableStorageKey: true });
    return JSON.parse(JSON.stringify({ plain, renamed }));
  }, { base: direct.url, apikey: direct.apikey });
  assert.equal(out.plain.filename, 'report -1.txt', 'filestack-js\'s default sanitizer replaces #');
  assert.match(out.plain.key, /^[A-Za-z0-9]+_report -1\.txt$/, 'a random prefix by default');
  assert.equal(out.renamed.filename, 'v2-plan.txt');
  assert.equal(out.renamed.key, 'docs/v2-plan.txt', 'disableStorageKey stores at <path>/<filename>');
});

// ---------------------------------------------------------------------------------------------
// 7. A file that cannot be read.

e2e('7a. a part that cannot be read once is read again, and the upload completes', 60_000, async () => {
  const size = 13 * MiB;
  const file = await makeFile('flaky', size, 'flaky.bin');
  try {
    // Read 1 is the second 2 MiB piece of part 1's MD5.
    const r = await pageUpload({ base: direct.url, apikey: direct.apikey, fileId: 'flaky', uploadOptions: { retry: 2 }, failReads: [1] });
    assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}`);
    assert.equal(r.res.size, size);
    await assertStoredBytes(r.res, file, direct);
  } finally {
    await dropFile('flaky');
  }
});

e2e('7b. a file that stays unreadable fails with an Error that says the file could not be read', 60_000, async () => {
  await makeFile('gone', 7 * MiB, 'gone.bin');
  try {
    const r = await pageUpload({ base: direct.url, apikey: direct.apikey, fileId: 'gone', uploadOptions: { retry: 1, retryFactor: 1.1 }, failReads: 'all' });
    assert.equal(r.ok, false, `the upload must fail: ${JSON.stringify(r.res)}`);
    assert.equal(r.error.isError, true, `rejects with an Error: ${JSON.stringify(r.error)}`);
    assert.match(r.error.message, /the file could not be read: The requested file could not be read \(test\)/, 'the message says why');
    assert.match(r.error.message, /\/multipart\/upload/, 'the message names the request');
    assert.ok(r.retries.some((x) => /the file could not be read/.test(x.reason)), `onRetry says why: ${JSON.stringify(r.retries)}`);
  } finally {
    await dropFile('gone');
  }
});

/**
 * Uploads `size` bytes through the test proxy, which flips a byte of each of the first
 * `alterPuts` PUT bodies, with `retry` retries; the page's reads are held back 300 ms, so the first
 * parts' digests come long after their calls are due and those go without MD5 whatever the
 * machine's load. Checks that the upload resolved with the bytes intact; returns its result.
 */
async function alteredUpload(name, size, alterPuts, retry) {
  const file = await makeFile(name, size, `${name}.bin`);
  try {
    chaos.configure({ rate: null, lifetimeMs: null, alterPuts });
    const r = await pageUpload({ base: chaos.url, apikey: faulty.apikey, fileId: name, uploadOptions: { retry }, holdMs: 300 });
    assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}`);
    await assertStoredBytes(r.res, file, faulty);
    return r;
  } finally {
    chaos.configure({ alterPuts: 0 });
    await dropFile(name);
  }
}

e2e('7c. a part altered on its way, sent before its MD5, is caught by its ETag and sent again with its MD5', 60_000, async (t) => {
  // Three parts; the first PUT, sent before its MD5, is altered.
  const r = await alteredUpload('altered', 13 * MiB, 1, 2);
  t.diagnostic(`retries: ${JSON.stringify(r.retries.map((x) => x.reason))}`);
  assert.equal(r.retries.length, 1, `one retry: ${JSON.stringify(r.retries)}`);
  assert.match(r.retries[0].reason, /the part arrived altered: the server stored bytes whose MD5 is \S+, not the file's \S+/);
  // The altered part: signed without its MD5 first (part 1, with start's answer), then asked for
  // with it (the server checks that one); three parts, four PUTs.
  const ex = await exchangesUntil((x) => x.some((e) => e.path === '/multipart/complete' && e.status === 200), 'complete → 200');
  const start = ex.find((e) => e.path === '/multipart/start').responseBody;
  assert.equal(start.part_etag, 'md5', 'start says part ETags are MD5s');
  assert.ok(start.first_part, `start signs part 1: ${JSON.stringify(start)}`);
  const asks = asksOf(ex).map((a) => ({ part: a.part, md5: a.md5 !== undefined }));
  const again = asks.filter((a) => asks.filter((b) => b.part === a.part).length > 1);
  assert.deepEqual(asks.slice(0, 3).map((a) => a.md5), [false, false, false], `the first calls go before their MD5s: ${JSON.stringify(asks)}`);
  assert.deepEqual(again.map((a) => a.md5), [false, true], `the altered part's calls: ${JSON.stringify(asks)}`);
  assert.equal(chaos.requests.filter((q) => q.method === 'PUT').length, 4, 'three parts, one sent twice');
});

e2e('7d. a part the server refuses as altered (md5_mismatch) is sent again, not failed', 60_000, async (t) => {
  // One part, altered on each of its first two PUTs: the first goes before its MD5 (caught by
  // its ETag), the second with it (the server refuses it as md5_mismatch), the third arrives.
  const r = await alteredUpload('altered2', 5 * MiB, 2, 3);
  const reasons = r.retries.map((x) => x.reason);
  t.diagnostic(`retries: ${JSON.stringify(reasons)}`);
  assert.equal(reasons.length, 2, `two retries: ${JSON.stringify(reasons)}`);
  assert.match(reasons[0], /the part arrived altered/);
  assert.match(reasons[1], /HTTP 400 \(md5_mismatch\)/);
  assert.equal(chaos.requests.filter((q) => q.method === 'PUT').length, 3, 'one part, three PUTs');
});

// ---------------------------------------------------------------------------------------------
// 8. Progress that moves: the bytes of a part count as they leave, not when its PUT ends.
// The uplink is slowed inside Chromium (support/browser.mjs withUplink says why not by the proxy).

for (const mode of ['regular', 'intelligent']) {
  e2e(`8. ${mode}: 12 MiB on a 3 MB/s uplink, onProgress moves while the parts are on the wire`, 60_000, async (t) => {
    const size = 12 * MiB;
    const file = await makeFile('moving', size, 'moving.bin');
    try {
      const uploadOptions = { progressInterval: 100 };
      if (mode === 'intelligent') uploadOptions.intelligent = true;
      const r = await withUplink(tab.page, 3_000_000, () => pageUpload({ base: direct.url, apikey: direct.apikey, fileId: 'moving', uploadOptions }));
      assert.ok(r.ok, `client.upload rejected: ${JSON.stringify(r.error)}`);
      assertProgress(r.progress, size);
      // Two 6 MiB parts (or an 8 MiB chunk and a 4 MiB one) are on the wire together; counted
      // only when a PUT ends, progress read 0, then 100 (or one step between).
      const between = new Set(r.progress.map((p) => p.totalBytes).filter((b) => b > 0 && b < size));
      t.diagnostic(`${r.ms} ms, ${r.progress.length} onProgress calls, ${between.size} distinct values between 0 and the size`);
      assert.ok(between.size >= 8, `progress did not move during the upload: ${JSON.stringify(r.progress)}`);
      await assertStoredBytes(r.res, file, direct);
    } finally {
      await dropFile('moving');
    }
  });
}
