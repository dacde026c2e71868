// The built package entry (dist/index.js) in headless Chromium: importing it touches no global and
// loads nothing; the first call loads the glue and the wasm, and md5_base64 gives the protocol's
// base64 MD5. Also runs in a module worker (no `window` at all) and imports in Node (SSR).
//
// Run: bash scripts/build-wasm.sh && node --test tests/wasm/
// Needs /usr/bin/chromium (or CHROMIUM_BIN).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchBrowser } from '../e2e/support/browser.mjs';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const HELLO = { text: 'hello world', md5: 'XrY7u+Ae7tCTyyK7j1rNww==' };
const EMPTY_MD5 = '1B2M2Y8AsgTpgAmY7PhCfg==';

let server;
let served = []; // paths under /dist/ requested, in order (a late favicon request is not one)
let browser;

before(async () => {
  if (!existsSync(join(DIST, 'index.js'))) throw new Error('dist/ is missing: run bash scripts/build-wasm.sh first');
  server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path.startsWith('/dist/')) served.push(path);
    if (path === '/') return res.writeHead(200, { 'content-type': TYPES['.html'] }).end('<!doctype html><link rel=icon href="data:,"><title>skiff dist</title>');
    const rel = normalize(path.slice(1));
    if (!rel.startsWith('dist/')) return res.writeHead(404).end();
    try {
      const body = await readFile(join(DIST, rel.slice('dist/'.length)));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

const origin = () => `http://127.0.0.1:${server.address().port}`;

async function openPage() {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => ['error', 'warning'].includes(m.type()) && problems.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`[pageerror] ${e.message}`));
  await page.goto(`${origin()}/`);
  served = [];
  return { page, problems };
}

test('importing the entry touches no global and loads nothing; first use loads the wasm', async () => {
  const { page, problems } = await openPage();
  const entry = `${origin()}/dist/index.js`;

  // Every configurable property of the global object becomes an accessor that records reads and
  // writes while the entry is imported. (The unforgeable ones — window, document, location, top —
  // cannot be trapped; the worker test below covers `window`.)
  const onImport = await page.evaluate(async (url) => {
    const { defineProperty, getOwnPropertyDescriptor, keys } = Object;
    const ownKeys = Reflect.ownKeys;
    const g = globalThis; // read once, before `globalThis` itself is trapped
    const touched = [];
    const keysBefore = ownKeys(g);
    const saved = [];
    for (const key of keysBefore) {
      const d = getOwnPropertyDescriptor(g, key);
      if (!d.configurable) continue;
      const name = typeof key === 'symbol' ? key.description : key;
      saved.push([key, d]);
      defineProperty(g, key, {
        configurable: true,
        enumerable: d.enumerable,
        get() { touched.push(`read ${name}`); return 'value' in d ? d.value : d.get?.call(g); },
        set(v) { touched.push(`write ${name}`); if ('value' in d) d.value = v; else d.set?.call(g, v); },
      });
    }
    let failure = null;
    let exportNames = [];
    try {
      exportNames = keys(await import(url));
    } catch (e) {
      failure = String(e);
    } finally {
      for (const [key, d] of saved) defineProperty(g, key, d);
    }
    const added = ownKeys(g).filter((k) => !keysBefore.includes(k)).map(String);
    return { touched, added, failure, exportNames: exportNames.sort(), trapped: saved.length };
  }, entry);

  assert.equal(onImport.failure, null);
  assert.ok(onImport.trapped > 500, `only ${onImport.trapped} globals were trapped`);
  assert.deepEqual(onImport.touched, [], 'the import read or wrote globals');
  assert.deepEqual(onImport.added, [], 'the import added globals');
  assert.deepEqual(onImport.exportNames, ['init', 'loadPicker', 'loadWasm', 'md5_base64', 'version'], 'public surface of the entry');
  assert.deepEqual(served, ['/dist/index.js'], 'the import fetched more than the entry');

  const firstUse = await page.evaluate(async ({ url, text }) => {
    const skiff = await import(url);
    const bytes = new TextEncoder().encode(text);
    return {
      u8: await skiff.md5_base64(bytes),
      arrayBuffer: await skiff.md5_base64(bytes.buffer),
      view: await skiff.md5_base64(new DataView(bytes.buffer)),
      empty: await skiff.md5_base64(new Uint8Array(0)),
      version: await skiff.version(),
      badInput: await skiff.md5_base64('not bytes').then(() => 'resolved', (e) => e.constructor.name),
    };
  }, { url: entry, text: HELLO.text });

  assert.deepEqual(firstUse, {
    u8: HELLO.md5,
    arrayBuffer: HELLO.md5,
    view: HELLO.md5,
    empty: EMPTY_MD5,
    version: JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version,
    badInput: 'TypeError',
  });
  assert.deepEqual(served, ['/dist/index.js', '/dist/skiff.js', '/dist/skiff_bg.wasm'], 'loaded once, on first use');
  assert.deepEqual(problems, []);
  await page.close();
});

test('works in a module worker, where there is no window', async () => {
  const { page, problems } = await openPage();
  const result = await page.evaluate(async ({ url, text }) => {
    const source = `
      const hadWindow = typeof window !== 'undefined';
      const skiff = await import(${JSON.stringify(url)});
      postMessage({ hadWindow, md5: await skiff.md5_base64(new TextEncoder().encode(${JSON.stringify(text)})) });`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
    return new Promise((ok, fail) => {
      worker.onmessage = (e) => ok(e.data);
      worker.onerror = (e) => fail(new Error(e.message));
    });
  }, { url: `${origin()}/dist/index.js`, text: HELLO.text });
  assert.deepEqual(result, { hadWindow: false, md5: HELLO.md5 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('imports in Node (server-side rendering); loadWasm() also takes the wasm as bytes', async () => {
  const skiff = await import(pathToFileURL(join(DIST, 'index.js')).href);
  assert.deepEqual(Object.keys(skiff).sort(), ['init', 'loadPicker', 'loadWasm', 'md5_base64', 'version']);
  // In Node the wasm can be handed over as bytes instead of fetched.
  await skiff.loadWasm(await readFile(join(DIST, 'skiff_bg.wasm')));
  assert.equal(await skiff.md5_base64(new TextEncoder().encode(HELLO.text)), HELLO.md5);
});
