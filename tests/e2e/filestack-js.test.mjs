// End-to-end: unmodified filestack-js 4.3.8 (browser UMD build) in headless Chromium uploads to
// skiff-server. The page is served from its own origin, so CORS is exercised for real.
//
// Run: node --test tests/e2e/
// Needs /usr/bin/chromium (or CHROMIUM_BIN) and the server binary ($SKIFF_SERVER_BIN or
// target/release/skiff-server, built on demand).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer } from './support/server.mjs';
import { startStaticServer } from './support/static.mjs';
import { launchBrowser, openPage } from './support/browser.mjs';

const MiB = 1024 * 1024;
const BIG = 20 * MiB + 123_457; // ≥ 20 MiB with an odd tail part
const REGULAR_PART = 6 * MiB; // filestack-js DEFAULT_PART_SIZE (docs/protocol.md §11)
const FII_PART = 8 * MiB; // filestack-js INTELLIGENT_CHUNK_SIZE
const TEST_DEADLINE_MS = 75_000;

let main; // skiff-server with defaults (refuses private source URLs)
let priv; // skiff-server with --allow-private-urls (for storeURL of a loopback URL)
let site; // static server for the test page, another origin
let browser;
let tab;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  [main, priv, site] = await Promise.all([
    startServer({ name: 'main' }),
    startServer({ name: 'private', allowPrivateUrls: true }),
    startStaticServer(),
  ]);
  browser = await launchBrowser();
  tab = await openPage(browser, `${site.url}/`, () => [main.url, priv.url]);
  const pageOrigin = await tab.page.evaluate(() => location.origin);
  assert.notEqual(pageOrigin, main.url, 'the page must be cross-origin to the API');
}, { timeout: 60_000 });

after(async () => {
  const steps = [
    () => browser?.close(),
    () => site?.stop(),
    () => main?.stop(),
    () => priv?.stop(),
  ];
  for (const step of steps) {
    try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
  }
});

/** A test whose failure message carries the server logs, browser console and API exchanges. */
function e2e(name, fn) {
  test(name, { timeout: TEST_DEADLINE_MS + 15_000 }, async (t) => {
    if (!tab) throw new Error('setup failed (see the before hook)');
    const consoleFrom = tab.console.length;
    const mainFrom = main.log().length;
    const privFrom = priv.log().length;
    tab.clearExchanges();
    await tab.page.evaluate(() => { window.skiffErrors.length = 0; });
    let timer;
    try {
      await Promise.race([
        fn(t),
        new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`no result within ${TEST_DEADLINE_MS} ms`)), TEST_DEADLINE_MS); }),
      ]);
    } catch (err) {
      const pageErrors = await tab.page.evaluate(() => window.skiffErrors.slice()).catch(() => []);
      const exchanges = tab.exchanges.map((e) => `${e.method} ${e.url} -> ${e.status}` +
        (e.requestBody !== undefined ? `\n    request:  ${clip(JSON.stringify(e.requestBody))}` : '') +
        (e.responseBody !== undefined ? `\n    response: ${clip(JSON.stringify(e.responseBody))}` : ''));
      const diag = [
        '', '--- filestack-js upload errors ---', ...pageErrors,
        '--- browser console ---', ...tab.console.slice(consoleFrom),
        '--- API exchanges seen by the browser ---', ...exchanges,
        '--- main server log ---', main.log().slice(mainFrom),
        '--- private server log ---', priv.log().slice(privFrom),
      ].join('\n');
      if (err && typeof err === 'object') {
        try { err.message = `${err.message}\n${diag}`; } catch { /* read-only message */ }
        if (!String(err.message).includes(diag)) console.error(diag);
        throw err;
      }
      throw new Error(`${String(err)}\n${diag}`);
    } finally {
      clearTimeout(timer);
    }
  });
}

const clip = (s, n = 600) => (s && s.length > n ? `${s.slice(0, n)}...` : s);

/** Waits until the browser has reported the complete exchange (events arrive asynchronously). */
async function exchangesUntil(pred, what) {
  for (let i = 0; i < 100; i++) {
    if (pred(tab.exchanges) && tab.exchanges.every((e) => e.method !== 'POST' || 'responseBody' in e)) return tab.exchanges;
    await sleep(20);
  }
  throw new Error(`browser never reported ${what}`);
}

function assertErrorShape(body, where) {
  assert.equal(typeof body?.error?.code, 'string', `${where}: error.code missing in ${JSON.stringify(body)}`);
  assert.equal(typeof body?.error?.message, 'string', `${where}: error.message missing in ${JSON.stringify(body)}`);
}

/** Generates a random File in the page; returns its size and SHA-256. */
function makeFile(id, size, name, type = 'application/octet-stream') {
  return tab.page.evaluate(([i, s, n, ty]) => window.skiffRandomFile(i, s, n, ty), [id, size, name, type]);
}

/** client.upload(file, uploadOptions, storeOptions) in the page against `server`. */
async function browserUpload(server, fileId, uploadOptions, storeOptions) {
  const r = await tab.page.evaluate(async ({ base, apikey, fileId, uploadOptions, storeOptions }) => {
    const client = window.skiffClient(base, apikey);
    try {
      const res = await client.upload(window.skiffFiles[fileId], uploadOptions, storeOptions);
      return { ok: true, res: JSON.parse(JSON.stringify(res)) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e) };
    }
  }, { base: server.url, apikey: server.apikey, fileId, uploadOptions, storeOptions });
  assert.ok(r.ok, `client.upload failed: ${r.error}`);
  return r.res;
}

/** client.metadata(handle) in the page. */
async function browserMetadata(server, handle) {
  return tab.page.evaluate(async ({ base, apikey, handle }) => {
    const client = window.skiffClient(base, apikey);
    try {
      return { ok: true, res: await client.metadata(handle) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e), status: e?.response?.status };
    }
  }, { base: server.url, apikey: server.apikey, handle });
}

/** Downloads a URL in Node; returns status, headers and body. */
async function download(url, headers = {}) {
  const res = await fetch(url, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

function assertUploadResult(res, server, tags) {
  assert.equal(typeof res.handle, 'string', `no handle in ${JSON.stringify(res)}`);
  assert.match(res.handle, /^[A-Za-z0-9_-]+$/);
  assert.equal(typeof res.url, 'string', `no url in ${JSON.stringify(res)}`);
  assert.ok(res.url.startsWith(`${server.url}/`), `url ${res.url} is not on ${server.url}`);
  assert.ok(res.url.includes(res.handle), `url ${res.url} does not name handle ${res.handle}`);
  assert.deepEqual(res.uploadTags, tags, 'uploadTags must equal the tags sent');
}

/** Bytes on the server (Node fetch of res.url and, through CORS, fetch in the page) match. */
async function assertStoredBytes(res, expected, server) {
  const dl = await download(res.url);
  assert.equal(dl.status, 200, `GET ${res.url}: ${dl.status} ${dl.body.subarray(0, 300)}`);
  assert.equal(dl.body.length, expected.size, 'downloaded size');
  assert.equal(Number(dl.headers.get('content-length')), expected.size, 'Content-Length');
  assert.equal(sha256(dl.body), expected.sha256, 'SHA-256 of the downloaded bytes (Node)');

  const inPage = await tab.page.evaluate((u) => window.skiffSha256OfUrl(u), `${server.url}/${res.handle}`);
  assert.deepEqual(inPage, { status: 200, size: expected.size, sha256: expected.sha256 }, 'download in the page (CORS GET)');

  // A range from the middle of the file.
  const from = 6 * MiB - 500;
  const part = await download(`${server.url}/${res.handle}`, { Range: `bytes=${from}-${from + 999}` });
  assert.equal(part.status, 206, 'Range request status');
  assert.equal(part.headers.get('content-range'), `bytes ${from}-${from + 999}/${expected.size}`);
  assert.ok(part.body.equals(dl.body.subarray(from, from + 1000)), 'Range bytes match the whole download');
  return dl.body;
}

async function assertMetadata(server, handle, want) {
  const md = await browserMetadata(server, handle);
  assert.ok(md.ok, `client.metadata failed: ${md.error}`);
  for (const [k, v] of Object.entries(want)) {
    assert.deepEqual(md.res[k], v, `metadata.${k} (got ${JSON.stringify(md.res)})`);
  }
}

e2e('1. regular multipart upload of a 20 MiB random File (tags, download, metadata)', async () => {
  const tags = { project: 'skiff', suite: 'e2e', mode: 'regular' };
  const file = await makeFile('regular', BIG, 'random-source.dat');
  const res = await browserUpload(main, 'regular', { tags, retry: 2 }, { filename: 'big.bin' });
  assertUploadResult(res, main, tags);

  const parts = Math.ceil(BIG / REGULAR_PART);
  const ex = await exchangesUntil((x) => x.some((e) => e.path === '/multipart/complete' && e.status === 200), 'complete → 200');
  const start = ex.find((e) => e.path === '/multipart/start');
  assert.equal(start.status, 200);
  assert.equal(start.requestBody.filename, 'big.bin');
  assert.equal(start.requestBody.size, BIG);
  assert.equal(start.requestBody.fii, undefined, 'regular upload must not ask for FII');
  assert.equal(start.responseBody.location_url, main.url, 'location_url for plain http');
  const uploads = ex.filter((e) => e.path === '/multipart/upload');
  assert.deepEqual(uploads.map((e) => e.requestBody.part).sort((a, b) => a - b), [...Array(parts).keys()].map((i) => i + 1));
  assert.ok(uploads.every((e) => e.status === 200));
  const puts = ex.filter((e) => e.method === 'PUT');
  assert.equal(puts.length, parts, `${parts} part PUTs`);
  for (const p of puts) {
    assert.ok(p.status >= 200 && p.status < 300, `PUT ${p.url} -> ${p.status}`);
    assert.ok(p.responseHeaders.etag, `PUT ${p.url} has no ETag`);
    // filestack-js can only read the ETag cross-origin when it is exposed (docs/protocol.md §1.4).
    assert.match(p.responseHeaders['access-control-expose-headers'] ?? '', /(^|,|\s)etag(\s|,|$)|\*/i, 'ETag exposed to CORS');
  }
  for (const e of ex) {
    const acao = e.responseHeaders['access-control-allow-origin'];
    assert.ok(acao === '*' || acao === site.url, `${e.method} ${e.path}: Access-Control-Allow-Origin ${acao}`);
  }
  const complete = ex.filter((e) => e.path === '/multipart/complete').at(-1);
  assert.deepEqual(complete.requestBody.parts.map((p) => p.part_number).sort((a, b) => a - b), [...Array(parts).keys()].map((i) => i + 1));
  assert.deepEqual(complete.requestBody.upload_tags, tags);
  assert.equal(complete.responseBody.handle, res.handle);

  await assertStoredBytes(res, file, main);
  await assertMetadata(main, res.handle, { size: BIG, filename: 'big.bin', mimetype: 'application/octet-stream' });
});

e2e('2. intelligent ingestion (FII) upload of a 20 MiB random File', async () => {
  const tags = { project: 'skiff', suite: 'e2e', mode: 'intelligent' };
  const file = await makeFile('fii', BIG, 'random-source.dat');
  const res = await browserUpload(main, 'fii', { tags, intelligent: true, retry: 2 }, { filename: 'big.bin' });
  assertUploadResult(res, main, tags);

  const parts = Math.ceil(BIG / FII_PART);
  const ex = await exchangesUntil((x) => x.some((e) => e.path === '/multipart/complete' && e.status === 200), 'complete → 200');
  const start = ex.find((e) => e.path === '/multipart/start');
  assert.equal(start.requestBody.fii, true, 'start asks for FII');
  assert.equal(start.responseBody.upload_type, 'intelligent_ingestion', 'server confirms FII (else the client silently falls back)');
  const uploads = ex.filter((e) => e.path === '/multipart/upload');
  assert.ok(uploads.length >= parts);
  for (const u of uploads) {
    assert.equal(u.requestBody.fii, true, 'FII chunk request has fii:true');
    assert.equal(typeof u.requestBody.offset, 'number', 'FII chunk request has an offset');
  }
  const commits = ex.filter((e) => e.path === '/multipart/commit');
  assert.deepEqual(commits.map((e) => e.requestBody.part).sort((a, b) => a - b), [...Array(parts).keys()].map((i) => i + 1), 'one commit per part');
  for (const c of commits) {
    assert.ok(c.status >= 200 && c.status < 300, `commit part ${c.requestBody.part} -> ${c.status} ${JSON.stringify(c.responseBody)}`);
    assert.equal(c.requestBody.size, BIG, 'commit carries the whole file size');
  }
  const complete = ex.filter((e) => e.path === '/multipart/complete').at(-1);
  assert.equal(complete.requestBody.fii, true);
  assert.deepEqual(complete.requestBody.upload_tags, tags);

  await assertStoredBytes(res, file, main);
  await assertMetadata(main, res.handle, { size: BIG, filename: 'big.bin', mimetype: 'application/octet-stream' });
});

e2e('3. storeURL of a file already on the server, with upload tags', async () => {
  // The source: a file uploaded to the --allow-private-urls server through filestack-js.
  const source = await makeFile('source', 3 * MiB + 17, 'source.bin');
  const up = await browserUpload(priv, 'source', { retry: 2 }, { filename: 'source.bin' });
  const sourceUrl = `${priv.url}/${up.handle}`;

  const tags = { project: 'skiff', suite: 'e2e', mode: 'storeURL' };
  tab.clearExchanges();
  const r = await tab.page.evaluate(async ({ base, apikey, url, tags }) => {
    const client = window.skiffClient(base, apikey);
    try {
      const res = await client.storeURL(url, { filename: 'copy.bin' }, undefined, undefined, tags);
      return { ok: true, res };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e) };
    }
  }, { base: priv.url, apikey: priv.apikey, url: sourceUrl, tags });
  assert.ok(r.ok, `client.storeURL failed: ${r.error}`);
  const res = r.res;
  assert.equal(typeof res.handle, 'string', `no handle in ${JSON.stringify(res)}`);
  assert.notEqual(res.handle, up.handle, 'the stored copy is a new file');
  assert.deepEqual(res.uploadTags, tags, 'uploadTags must equal the tags sent');

  const ex = await exchangesUntil((x) => x.some((e) => e.path === '/process'), '/process');
  const proc = ex.find((e) => e.path === '/process');
  assert.equal(proc.status, 200);
  assert.deepEqual(proc.requestBody.sources, [sourceUrl]);
  assert.deepEqual(proc.requestBody.upload_tags, tags);

  const copy = await download(`${priv.url}/${res.handle}`);
  assert.equal(copy.status, 200, `GET copy: ${copy.status} ${copy.body.subarray(0, 300)}`);
  assert.equal(copy.body.length, source.size);
  assert.equal(sha256(copy.body), source.sha256, 'SHA-256 of the stored copy');
  await assertMetadata(priv, res.handle, { size: source.size, filename: 'copy.bin' });

  // The default server must refuse to fetch a loopback URL (SSRF guard).
  const refused = await fetch(`${main.url}/process`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apikey: main.apikey, sources: [sourceUrl], tasks: [{ name: 'store' }], upload_tags: tags }),
  });
  const refusedBody = await refused.json().catch(() => null);
  assert.ok(refused.status >= 400 && refused.status < 500, `POST /process of a loopback URL without --allow-private-urls: ${refused.status} ${JSON.stringify(refusedBody)}`);
  assertErrorShape(refusedBody, 'refused /process');
});

e2e('4. DELETE /api/file/{handle}?key= removes an uploaded file', async () => {
  await makeFile('doomed', 256 * 1024 + 3, 'doomed.bin');
  const up = await browserUpload(main, 'doomed', { retry: 2 }, { filename: 'doomed.bin' });
  const fileUrl = `${main.url}/${up.handle}`;
  assert.equal((await download(fileUrl)).status, 200, 'file downloadable before delete');

  // A wrong key must not delete it.
  const wrong = await fetch(`${main.url}/api/file/${up.handle}?key=not-the-key`, { method: 'DELETE' });
  assert.ok(wrong.status >= 400 && wrong.status < 500, `DELETE with a wrong key -> ${wrong.status}`);
  assertErrorShape(await wrong.json().catch(() => null), 'DELETE with a wrong key');
  assert.equal((await download(fileUrl)).status, 200, 'file still there after a refused delete');

  const del = await fetch(`${main.url}/api/file/${up.handle}?key=${encodeURIComponent(main.apikey)}`, { method: 'DELETE' });
  const delText = await del.text();
  assert.ok(del.status >= 200 && del.status < 300, `DELETE -> ${del.status} ${delText}`);

  const gone = await download(fileUrl);
  assert.equal(gone.status, 404, `GET after delete -> ${gone.status}`);
  assertErrorShape(JSON.parse(gone.body.toString() || 'null'), 'GET after delete');
  const md = await fetch(`${main.url}/api/file/${up.handle}/metadata`);
  assert.equal(md.status, 404, `metadata after delete -> ${md.status}`);
  const pageMd = await browserMetadata(main, up.handle);
  assert.equal(pageMd.ok, false, 'client.metadata after delete must fail');
});
