// End-to-end: Skiff's picker as a drop-in for Filestack's hosted picker. Unmodified filestack-js
// 4.3.8 (browser UMD build) runs `filestack.init(key).picker(options).open()` in headless Chromium
// and gets Skiff's picker through @filestack/loader's module table (docs/protocol.md §1.2 item 6):
//
//   1. registerWithFilestack() from dist/filestack.js, then the unmodified filestack-js calls:
//      Skiff's dialog opens, a picked file is uploaded to skiff-server with the picker's
//      uploadConfig.tags, onUploadDone gets a filestack-shaped response;
//   2. the pickerUrl route: client.session.urls.pickerUrl = dist/filestack-register.js, which the
//      loader injects as a classic script; two files picked (maxFiles: 2), both uploaded.
//
// In both, no request may go to a Filestack host (*.filestackapi.com, *.filestackcontent.com):
// every request of the browser is recorded, and requests to those hosts are also blocked.
//
// Run: node --test tests/e2e/picker-dropin.test.mjs
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ with index.js, skiff.js, skiff_bg.wasm,
// filestack.js and filestack-register.js (scripts/build-wasm.sh copies www/ there) and the server
// binary ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startServer } from './support/server.mjs';
import { startStaticServer } from './support/static.mjs';
import { launchBrowser } from './support/browser.mjs';
import { rethrowWith } from './support/diag.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const APIKEY = 'demo-key';
const DIST = join(REPO_ROOT, 'dist');
const FILESTACK_BUILD = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser');
const FILESTACK_HOSTS = /^[a-z]+:\/\/([^/?#]*\.)?(filestackapi\.com|filestackcontent\.com)(:\d+)?([/?#]|$)/i;
const TEST_DEADLINE_MS = 60_000;

// The test page: filestack-js's UMD build (global `filestack`), then dist/filestack.js as
// `window.skiffFilestack` — except with ?pickerUrl, where the page loads nothing of Skiff's.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Skiff e2e: picker drop-in for filestack-js</title>
<script src="/filestack/filestack.umd.js"></script>
<script type="module">
  try {
    if (!new URLSearchParams(location.search).has('pickerUrl')) {
      window.skiffFilestack = await import('/dist/filestack.js');
    }
  } catch (e) {
    console.error('importing /dist/filestack.js failed:', e);
  }
  window.skiffPageReady = true;
</script>
<h1>Skiff e2e: picker drop-in</h1>
`;

let server;
let site;
let browser;
let pageDir;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const clip = (s, n = 600) => (s && s.length > n ? `${s.slice(0, n)}...` : s);

before(async () => {
  const missing = ['index.js', 'skiff.js', 'skiff_bg.wasm', 'filestack.js', 'filestack-register.js'].filter((f) => !existsSync(join(DIST, f)));
  if (missing.length) {
    throw new Error(`dist/ lacks ${missing.join(', ')}: build it (bash scripts/build-wasm.sh copies www/index.js, ` +
      'www/filestack.js and www/filestack-register.js into dist/)');
  }
  pageDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-dropin-'));
  writeFileSync(join(pageDir, 'index.html'), PAGE);
  [server, site] = await Promise.all([
    startServer({ name: 'dropin', apikey: APIKEY }),
    startStaticServer({ page: join(pageDir, 'index.html'), folders: { '/filestack/': FILESTACK_BUILD, '/dist/': DIST } }),
  ]);
  browser = await launchBrowser();
}, { timeout: 120_000 });

after(async () => {
  const steps = [
    () => browser?.close(),
    () => site?.stop(),
    () => server?.stop(),
    () => pageDir && rmSync(pageDir, { recursive: true, force: true }),
  ];
  for (const step of steps) {
    try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
  }
});

/**
 * A fresh browser context on the test page (the loader's module table lives in the page, so each
 * test starts without a registered picker). Every request is recorded from the start; requests to
 * Filestack's hosts are recorded and aborted.
 */
async function openTab(query = '') {
  const context = await browser.newContext();
  const tab = { context, requests: [], filestack: [], console: [] };
  await context.route(FILESTACK_HOSTS, (route) => {
    tab.filestack.push(`${route.request().method()} ${route.request().url()} (blocked)`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  tab.page = page;
  page.on('request', (r) => {
    tab.requests.push(`${r.method()} ${r.url()}`);
    if (FILESTACK_HOSTS.test(r.url())) tab.filestack.push(`${r.method()} ${r.url()}`);
  });
  page.on('response', (r) => tab.requests.push(`  -> ${r.status()} ${r.request().method()} ${r.url()}`));
  page.on('requestfailed', (r) => tab.console.push(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('console', (m) => tab.console.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => tab.console.push(`[pageerror] ${e.stack || e.message}`));
  await page.goto(`${site.url}/${query}`);
  await page.waitForFunction(() => window.skiffPageReady === true && typeof window.filestack?.init === 'function');
  return tab;
}

/** A test with a fresh tab whose failure message carries the browser's and the server's logs. */
function e2e(name, query, fn) {
  test(name, { timeout: TEST_DEADLINE_MS + 30_000 }, async () => {
    if (!browser) throw new Error('setup failed (see the before hook)');
    const logFrom = server.log().length;
    let tab;
    let timer;
    try {
      tab = await openTab(query);
      await Promise.race([
        fn(tab),
        new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`no result within ${TEST_DEADLINE_MS} ms`)), TEST_DEADLINE_MS); }),
      ]);
    } catch (err) {
      const dom = await tab?.page.evaluate(() => document.querySelector('.skiff-picker')?.outerHTML ?? '(no .skiff-picker)').catch(() => '?');
      const diag = [
        '', '--- browser console ---', ...(tab?.console ?? []),
        '--- requests of the browser ---', ...(tab?.requests ?? []).slice(-200),
        '--- .skiff-picker ---', clip(dom, 4000),
        '--- server log ---', server.log().slice(logFrom),
      ].join('\n');
      rethrowWith(err, diag);
    } finally {
      clearTimeout(timer);
      await tab?.context.close().catch(() => {});
    }
  });
}

/**
 * In the page: `filestack.init(APIKEY)`, every host of its session pointed at the server (as in
 * filestack-js.test.mjs), `extraUrls` on top, then `client.picker(options).open()` with the
 * callbacks recording into window.done / window.pickerEvents. Resolves when open() resolves.
 */
function openPicker(tab, { register, extraUrls = {} }) {
  return tab.page.evaluate(async ({ base, apikey, register, extraUrls }) => {
    window.done = undefined;
    window.pickerEvents = [];
    const client = filestack.init(apikey);
    Object.assign(client.session.urls, {
      uploadApiUrl: base,
      fileApiUrl: `${base}/api/file`,
      processUrl: base,
      cdnUrl: base,
      cloudApiUrl: base,
    }, extraUrls);
    if (register) window.skiffUnregister = window.skiffFilestack.registerWithFilestack();
    window.fsPicker = client.picker({
      displayMode: 'overlay',
      maxFiles: 2,
      uploadConfig: { tags: { a: 'b' } },
      onOpen: () => window.pickerEvents.push('open'),
      onUploadStarted: (files) => window.pickerEvents.push(`uploadStarted:${files.length}`),
      onFileUploadFailed: (file, err) => window.pickerEvents.push(`failed:${file?.filename}:${err?.message ?? err}`),
      onUploadDone: (r) => { window.done = r; },
    });
    await window.fsPicker.open();
  }, { base: server.url, apikey: APIKEY, register, extraUrls });
}

/** Files for setInputFiles, with their SHA-256. */
function inputFile(name, size) {
  const buffer = randomBytes(size);
  return { name, mimeType: 'application/octet-stream', buffer, sha256: sha256(buffer) };
}

async function pickAndUpload(tab, files) {
  const { page } = tab;
  await page.setInputFiles('.skiff-picker input[type=file].skiff-input', files.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer })));
  await page.waitForFunction((n) => document.querySelectorAll('.skiff-picker li.skiff-file').length === n, files.length, { timeout: 15_000 })
    .catch((e) => { throw new Error(`expected ${files.length} li.skiff-file row(s) after picking: ${e.message}`); });
  await page.click('.skiff-picker button.skiff-upload');
  await page.waitForFunction(() => window.done !== undefined, null, { timeout: 45_000 })
    .catch(async (e) => {
      const events = await page.evaluate(() => window.pickerEvents).catch(() => '?');
      throw new Error(`onUploadDone never called (picker events: ${JSON.stringify(events)}): ${e.message}`);
    });
  return page.evaluate(() => JSON.parse(JSON.stringify(window.done)));
}

/** The upload result: handles, stored bytes (GET /{handle} from Node), tags. */
async function assertUploaded(done, files) {
  assert.ok(done && Array.isArray(done.filesUploaded), `onUploadDone argument: ${clip(JSON.stringify(done))}`);
  assert.deepEqual(done.filesFailed ?? [], [], `filesFailed: ${clip(JSON.stringify(done.filesFailed))}`);
  assert.equal(done.filesUploaded.length, files.length, `filesUploaded: ${clip(JSON.stringify(done.filesUploaded), 2000)}`);
  for (const file of files) {
    const res = done.filesUploaded.find((r) => r.filename === file.name) ??
      (files.length === 1 ? done.filesUploaded[0] : undefined);
    assert.ok(res, `no result named ${file.name} in ${clip(JSON.stringify(done.filesUploaded), 2000)}`);
    assert.equal(typeof res.handle, 'string', `no handle in ${JSON.stringify(res)}`);
    assert.match(res.handle, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(res.uploadTags, { a: 'b' }, `uploadTags (uploadConfig.tags) in ${JSON.stringify(res)}`);
    const dl = await fetch(`${server.url}/${res.handle}`);
    const body = Buffer.from(await dl.arrayBuffer());
    assert.equal(dl.status, 200, `GET /${res.handle}: ${dl.status} ${body.subarray(0, 300)}`);
    assert.equal(body.length, file.buffer.length, `stored size of ${file.name}`);
    assert.equal(sha256(body), file.sha256, `SHA-256 of the stored bytes of ${file.name}`);
  }
}

function assertNoFilestackRequest(tab, when) {
  assert.deepEqual(tab.filestack, [], `request(s) to a Filestack host ${when}`);
}

function assertUploadsWentToServer(tab) {
  const start = tab.requests.find((r) => r.startsWith(`POST ${server.url}/multipart/start`));
  assert.ok(start, `no POST ${server.url}/multipart/start: the picker did not use client.session.urls.uploadApiUrl`);
}

e2e('1. registerWithFilestack(): unmodified filestack-js opens and uploads through Skiff\'s picker', '', async (tab) => {
  const { page } = tab;
  assert.equal(await page.evaluate(() => typeof window.skiffFilestack?.registerWithFilestack), 'function',
    'dist/filestack.js must export registerWithFilestack');

  await openPicker(tab, { register: true });
  await page.waitForSelector('.skiff-picker [role=dialog]', { state: 'visible', timeout: 20_000 });

  // The loader took the registered constructor: its table entry, and no <script> injected.
  const table = await page.evaluate(() => {
    const entry = window.filestackInternals?.modules?.['fs-loader-picker'];
    return { instance: typeof entry?.instance, injected: document.getElementById('fs-loader-picker')?.src ?? null };
  });
  assert.deepEqual(table, { instance: 'function', injected: null }, 'module table entry / injected picker script');
  assert.deepEqual(await page.evaluate(() => window.pickerEvents), ['open'], 'onOpen called once');
  assertNoFilestackRequest(tab, 'while opening the picker');

  const file = inputFile('dropin.bin', 200_003);
  const done = await pickAndUpload(tab, [file]);
  await assertUploaded(done, [file]);
  assertUploadsWentToServer(tab);
  assertNoFilestackRequest(tab, 'during the upload');

  // The filestack-js PickerInstance forwards close() to Skiff's picker.
  await page.evaluate(() => window.fsPicker.close());
  await page.waitForSelector('.skiff-picker [role=dialog]', { state: 'hidden', timeout: 10_000 });
  assertNoFilestackRequest(tab, 'at the end');
});

e2e('2. pickerUrl = dist/filestack-register.js: the loader injects it, two files are uploaded', '?pickerUrl', async (tab) => {
  const { page } = tab;
  const pickerUrl = `${site.url}/dist/filestack-register.js`;
  assert.equal(await page.evaluate(() => window.filestackInternals?.modules?.['fs-loader-picker']?.instance), undefined,
    'nothing registered before the picker is made');

  await openPicker(tab, { register: false, extraUrls: { pickerUrl } });
  await page.waitForSelector('.skiff-picker [role=dialog]', { state: 'visible', timeout: 20_000 });
  assert.equal(await page.evaluate(() => document.getElementById('fs-loader-picker')?.src), pickerUrl, 'the loader injected pickerUrl');
  assertNoFilestackRequest(tab, 'while opening the picker');

  const files = [inputFile('first.bin', 70_001), inputFile('second.bin', 1_234)];
  const done = await pickAndUpload(tab, files);
  await assertUploaded(done, files);
  assertUploadsWentToServer(tab);
  assertNoFilestackRequest(tab, 'during the upload');
});
