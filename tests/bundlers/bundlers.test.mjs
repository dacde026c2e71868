// The package as apps consume it: built into a small Vite app, and imported by a plain
// `<script type="module">` page with no bundler. In both, a picker in German (or French) opens in
// Chromium from the served output and uploads a file to skiff-server; the translation is loaded
// only when the picker opens, as a file of its own, and never lands in the app's entry chunk.
//
// Run: node --test tests/bundlers/   (needs dist/, built by scripts/build-wasm.sh, and the server
// binary: $SKIFF_SERVER_BIN or target/release/skiff-server, built on demand)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { launchBrowser } from '../e2e/support/browser.mjs';
import { REPO_ROOT, startServer } from '../e2e/support/server.mjs';
import { ensureDist, DIST } from '../e2e/support/skiff-site.mjs';
import { startStaticServer } from '../e2e/support/static.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The entry chunk's budget: the app, index.js and Vite's preload helper, no translations. */
const ENTRY_LIMIT = 20_000;

let work;
let server;
let browser;

before(async () => {
  ensureDist();
  work = mkdtempSync(join(tmpdir(), 'skiff-bundlers-'));
  [server, browser] = await Promise.all([startServer({ name: 'bundlers' }), launchBrowser()]);
}, { timeout: 120_000 });

after(async () => {
  await browser?.close();
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens `url`, opens the picker, uploads one file; returns what the page saw. */
async function pickAndUpload(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const requested = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // A failed load is reported by its response (the console's line does not name the URL); the
  // browser's own favicon request is no part of the app.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text()); });
  // The hashing worker must start from the built output too (the fallback would hide a bundle
  // that left it out).
  page.on('console', (m) => { if (/hashed on the page's thread/.test(m.text())) problems.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.appReady === true);
    const before = [...requested];
    await page.evaluate(([base, key]) => window.openPicker(base, key), [server.url, server.apikey]);
    const title = await page.textContent('#app .skiff-title');
    await page.setInputFiles('#app input.skiff-input', [{ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from a bundle') }]);
    await page.click('#app .skiff-upload');
    await page.waitForFunction(() => window.results.length === 1, undefined, { timeout: 20_000 });
    const result = await page.evaluate(() => window.results[0]);
    const workers = page.workers().map((w) => w.url());
    if (!workers.some((u) => /hash-worker[^/]*\.js$/.test(u))) problems.push(`no hashing worker ran (workers: ${workers.join(', ') || 'none'})`);
    return { title, result, problems, loadedBeforeOpen: before, loadedAfterOpen: requested.slice(before.length) };
  } finally {
    await context.close();
  }
}

/** The stored bytes, from the server. */
async function stored(handle) {
  return Buffer.from(await (await fetch(`${server.url}/${handle}`)).arrayBuffer()).toString();
}

test('a Vite app: the entry chunk stays small, each language is its own chunk, the picker works from the built output', { timeout: 180_000 }, async (t) => {
  // The app, with the package installed the way `npm install` links a local package.
  const app = join(work, 'vite-app');
  cpSync(join(HERE, 'app'), app, { recursive: true });
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(REPO_ROOT, join(app, 'node_modules', 'skiff-picker'), 'dir');
  const out = join(app, 'dist');
  await build({ root: app, logLevel: 'warn', configFile: false, build: { outDir: out, emptyOutDir: true } });

  const html = readFileSync(join(out, 'index.html'), 'utf8');
  const entry = html.match(/<script type="module"[^>]*src="\/?([^"]+)"/)?.[1];
  assert.ok(entry, `no entry script in the built index.html:\n${html}`);
  const entryCode = readFileSync(join(out, entry), 'utf8');
  const assets = readdirSync(join(out, 'assets'));
  t.diagnostic(`entry chunk ${entry}: ${entryCode.length} bytes; assets: ${assets.join(', ')}`);
  assert.ok(entryCode.length < ENTRY_LIMIT, `the entry chunk is ${entryCode.length} bytes (limit ${ENTRY_LIMIT})`);
  assert.doesNotMatch(entryCode, /data:application\/json/, 'no translation inlined as a data: URL');
  const german = JSON.parse(readFileSync(join(REPO_ROOT, 'www', 'lang', 'de.json'), 'utf8'));
  const uploadDe = german.Upload;
  assert.ok(!entryCode.includes(`"${uploadDe}"`), 'the German words are not in the entry chunk');
  const chunksWithGerman = assets.filter((f) => f.endsWith('.js') && readFileSync(join(out, 'assets', f), 'utf8').includes(german['Select Files to Upload']));
  assert.equal(chunksWithGerman.length, 1, `one chunk holds the German words: ${chunksWithGerman.join(', ')}`);
  // Language chunks are named after their module (`de-<hash>.js`); telling them apart by size
  // stopped working once the cloud sources' strings made some of them larger than the glue.
  const langChunks = assets.filter((f) => /^[a-z]{2}-[^.]+\.js$/.test(f) && f !== entry.replace(/^assets\//, ''));
  assert.ok(langChunks.length >= 19, `a chunk per language (${langChunks.length}): ${assets.join(', ')}`);

  const site = await startStaticServer({ page: join(out, 'index.html'), folders: { '/assets/': join(out, 'assets') } });
  try {
    const r = await pickAndUpload(`${site.url}/`);
    assert.deepEqual(r.problems, [], 'no errors in the page');
    assert.equal(r.title, german['Select Files to Upload'], 'the picker speaks German');
    assert.ok(!r.loadedBeforeOpen.some((p) => p.endsWith(`/${chunksWithGerman[0]}`)), 'the German chunk is not loaded before the picker opens');
    assert.ok(r.loadedAfterOpen.some((p) => p.endsWith(`/${chunksWithGerman[0]}`)), `the German chunk is loaded when it opens: ${r.loadedAfterOpen.join(', ')}`);
    assert.equal(r.loadedAfterOpen.filter((p) => langChunks.some((c) => p.endsWith(`/${c}`))).length, 1, 'only the one language asked for');
    const [file] = r.result.filesUploaded;
    assert.equal(await stored(file.handle), 'hello from a bundle');
  } finally {
    await site.stop();
  }
});

test('a plain <script type="module"> page: the package as published, French loaded when the picker opens', { timeout: 120_000 }, async () => {
  const site = await startStaticServer({ page: join(HERE, 'plain.html'), folders: { '/pkg/': DIST } });
  try {
    const french = JSON.parse(readFileSync(join(REPO_ROOT, 'www', 'lang', 'fr.json'), 'utf8'));
    const r = await pickAndUpload(`${site.url}/`);
    assert.deepEqual(r.problems, [], 'no errors in the page');
    assert.equal(r.title, french['Select Files to Upload'], 'the picker speaks French');
    assert.ok(!r.loadedBeforeOpen.some((p) => p.startsWith('/pkg/lang/')), 'no translation before the picker opens');
    assert.deepEqual(r.loadedAfterOpen.filter((p) => p.startsWith('/pkg/lang/')), ['/pkg/lang/fr.js'], 'only French, when it opens');
    const [file] = r.result.filesUploaded;
    assert.equal(await stored(file.handle), 'hello from a bundle');
  } finally {
    await site.stop();
  }
});
