// End-to-end: the picker's cloud sources that picker-cloud.test.mjs leaves out, in Chromium
// against skiff-server:
//
//   1. Unsplash image search (`unsplash` and its `imagesearch` alias) against the Unsplash
//      stand-in: search, thumbnails as the listing gives them, two photos imported, the use
//      reported to Unsplash, bytes intact;
//   2. Google Photos through its stand-in: sign-in in the popup, choosing in "Google Photos"
//      (the stand-in's picker page), one photo imported; and a choice made from the root's
//      button kept when the person comes back (the folder of the choice opens);
//   3. the `customsource` tab over a real S3 server (SeaweedFS): customSourceName,
//      customSourcePath and customSourceContainer, nested folders, bytes intact;
//   4. an import from a throttled WebDAV server cancelled from its row while it runs (nothing
//      stored, the server stops reading), then picked again and finished; and a file picked
//      after such a cancel waits for Upload;
//   5. unmodified filestack-js 4.3.8 opening Skiff's picker through the drop-in
//      (registerWithFilestack) with cloud sources: Dropbox connected, a file imported with tags
//      (filestack-js itself drops `webdav`, which it does not know, from fromSources).
//
// Each checks the view it reached with the axe audit.
//
// Run: node --test tests/e2e/picker-cloud-sources.test.mjs
// Needs rclone and SeaweedFS (scripts/setup.sh), /usr/bin/chromium, dist/, and the server and
// stand-in binaries (skiff-standins' second one, skiff-e2e-standins, runs the Unsplash and
// Google Photos stand-ins).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage } from './support/browser.mjs';
import { REPO_ROOT, startServer } from './support/server.mjs';
import { DIST, ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { startStaticServer } from './support/static.mjs';
import { startFixtureStandin, startStandin } from './support/standin.mjs';
import { startWebdav } from './support/webdav.mjs';
import { startSeaweed } from './support/seaweed.mjs';
import { startProxy } from './support/proxy.mjs';
import { events, installHarness, openPicker, png, rows, waitEvent, waitFor, waitRows } from './support/picker-page.mjs';
import { rethrowWith } from './support/diag.mjs';
import { assertNoViolations, audit } from './support/axe.mjs';

const KEY = 'cloud-sources';
const BUCKET = 'picks';
const FILESTACK_BUILD = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser');
const FILESTACK_HOSTS = /^[a-z]+:\/\/([^/?#]*\.)?(filestackapi\.com|filestackcontent\.com)(:\d+)?([/?#]|$)/i;

// Unsplash: three photos, two of which match "kayak".
const PHOTOS = [
  { id: 'kayak1', name: 'Red kayak on a calm lake', mime: 'image/jpeg', bytes: png(60, 40, [200, 40, 40]) },
  { id: 'kayak2', name: 'Kayak at dawn', mime: 'image/jpeg', bytes: png(48, 48, [40, 90, 200]) },
  { id: 'hut1', name: 'Mountain hut', mime: 'image/jpeg', bytes: png(32, 20, [40, 160, 60]) },
];
// Google Photos: what the person has; the stand-in's picker page chooses all of it.
const LIBRARY = [
  { id: 'gp1', name: 'IMG_0001.png', mime: 'image/png', bytes: png(64, 48, [230, 180, 30]) },
  { id: 'gp2', name: 'clip.mp4', mime: 'video/mp4', bytes: randomBytes(20_000) },
];
// The bucket: `shared/` is what the picker is pointed at; `outside.txt` must never show.
const DEEP = randomBytes(150 * 1024 + 3);
const OBJECTS = {
  'outside.txt': Buffer.from('not for the picker\n'),
  'shared/top.txt': Buffer.from('top of the shared folder\n'),
  'shared/reports/q3.csv': Buffer.from('quarter,total\nq3,42\n'),
  'shared/reports/2026/Tiefe Übersicht.bin': DEEP,
};
// WebDAV: a file slow enough to cancel through the throttled proxy.
const SLOW = randomBytes(3 * 1024 * 1024 + 11);
const SLOW_RATE = 512 * 1024;

let dir;
let dav;
let davProxy;
let dropbox;
let unsplash;
let photos;
let s3;
let server;
let site;
let dropinSite;
let browser;

// The drop-in's page: unmodified filestack-js (UMD, global `filestack`), then Skiff's drop-in
// module as `window.skiffFilestack`.
const DROPIN_PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Skiff e2e: filestack-js with Skiff's picker and cloud sources</title>
<script src="/filestack/filestack.umd.js"></script>
<script type="module">
  try {
    window.skiffFilestack = await import('/dist/filestack.js');
  } catch (e) {
    console.error('importing /dist/filestack.js failed:', e);
  }
  window.skiffPageReady = true;
</script>
<h1>Skiff e2e: drop-in with cloud sources</h1>
`;

before(async () => {
  ensureDist();
  for (const f of ['filestack.js', 'index.js']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} is missing: bash scripts/build-wasm.sh builds it`);
  }
  dir = mkdtempSync(join(tmpdir(), 'skiff-cloud-sources-'));
  const files = join(dir, 'dav');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'slow.bin'), SLOW);
  writeFileSync(join(dir, 'dropin.html'), DROPIN_PAGE);
  [dav, davProxy, dropbox, unsplash, photos, s3, site, dropinSite, browser] = await Promise.all([
    startWebdav(files, { user: 'dav-user', pass: 'dav-pass' }),
    startProxy({ name: 'webdav' }),
    startStandin('dropbox'),
    startFixtureStandin('unsplash', PHOTOS),
    startFixtureStandin('googlephotos', LIBRARY),
    startSeaweed({ bucket: BUCKET, objects: OBJECTS }),
    startSkiffSite(),
    startStaticServer({ page: join(dir, 'dropin.html'), folders: { '/filestack/': FILESTACK_BUILD, '/dist/': DIST } }),
    launchBrowser(),
  ]);
  // The server reads WebDAV through the proxy, which slows it down when a test asks.
  davProxy.setTarget(dav.port);
  const config = join(dir, 'skiff.toml');
  writeFileSync(config, [
    '[[apps]]',
    `key = "${KEY}"`,
    `allowed_origins = ["${site.url}", "${dropinSite.url}"]`,
    '[sources.webdav]',
    `url = "${davProxy.url}/"`,
    'username = "dav-user"',
    'password = "dav-pass"',
    dropbox.sourceToml(),
    unsplash.sourceToml(),
    photos.sourceToml(),
    s3.sourceToml(),
    '',
  ].join('\n'));
  server = await startServer({ name: 'cloud-sources', extraArgs: ['--config', config] });
  await dropbox.registerRedirect(`${server.url}/cloud/auth/dropbox/callback`);
  await photos.registerRedirect(`${server.url}/cloud/auth/googlephotos/callback`);
}, { timeout: 300_000 });

after(async () => {
  const steps = [() => browser?.close(), () => site?.stop(), () => dropinSite?.stop(), () => server?.stop(),
    () => dropbox?.stop(), () => unsplash?.stop(), () => photos?.stop(), () => s3?.stop(), () => davProxy?.stop(),
    () => dav?.stop()];
  for (const step of steps) {
    try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A test with its own browser context on `pageUrl()` (Skiff's test page unless given); a failure
 * carries the callbacks, the picker, the console and the logs of the server and stand-ins.
 */
function sourcesTest(name, fn, { pageUrl = () => `${site.url}/`, harness = true, todo } = {}) {
  test(name, { timeout: 60_000, todo }, async () => {
    const tab = await openPage(browser, pageUrl(), () => [server.url]);
    await tab.context.route(FILESTACK_HOSTS, (route) => {
      tab.console.push(`[blocked] ${route.request().method()} ${route.request().url()}`);
      return route.abort('blockedbyclient');
    });
    try {
      if (harness) await installHarness(tab.page);
      await fn(tab);
    } catch (err) {
      const dom = await tab.page.evaluate(() => Array.from(document.querySelectorAll('.skiff-picker'), (e) => e.outerHTML).join('\n')).catch(() => '?');
      const ev = await tab.page.evaluate(() => JSON.stringify(window.pk?.ev ?? window.pickerEvents ?? [])).catch(() => '?');
      rethrowWith(err, ['', '--- callbacks ---', ev.slice(0, 5000), '--- console ---', ...tab.console.slice(-60),
        '--- picker ---', dom.slice(0, 6000), '--- server ---', server.log().slice(-6000),
        '--- Cloud API exchanges ---', JSON.stringify(tab.exchanges.slice(-12).map(({ path, status, requestBody, responseBody }) => ({ path, status, requestBody, responseBody }))).slice(0, 5000),
        '--- WebDAV proxy ---', davProxy.log().slice(-1500),
        '--- stand-ins ---', dropbox.log().slice(-1000), unsplash.log().slice(-1000), photos.log().slice(-1000)].join('\n'));
    } finally {
      await tab.context.close().catch(() => {});
    }
  });
}

const config = (options, extra = {}) => ({ apikey: KEY, baseUrl: server.url, options, ...extra });
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const item = (page, path) => page.locator(`.skiff-item[data-path="${path}"]`);
const names = (page) => page.evaluate(() => Array.from(document.querySelectorAll('.skiff-item .skiff-file-name'), (e) => e.textContent));

async function waitItems(page, want, what, ms = 15_000) {
  await waitFor(page, (w) => {
    const got = Array.from(document.querySelectorAll('.skiff-item .skiff-file-name'), (e) => e.textContent);
    return JSON.stringify(got) === JSON.stringify(w);
  }, want, ms, `${what}: items ${JSON.stringify(want)}`).catch(async (e) => {
    throw new Error(`${e.message}; shown: ${JSON.stringify(await names(page))}`);
  });
}

async function storedBytes(handle) {
  const r = await fetch(`${server.url}/${handle}`);
  assert.equal(r.status, 200, `GET /${handle}`);
  return Buffer.from(await r.arrayBuffer());
}

/** Waits until the cloud view shows its folder (the browser drawn, nothing loading). */
async function listed(page, ms = 15_000) {
  await waitFor(page, () => !!document.querySelector('.skiff-browser') && !document.querySelector('.skiff-loading'), null, ms, 'the folder listed');
}

/** The first argument of picker `id`'s onUploadDone, once it was called. */
async function uploadDone(page, id, ms = 30_000) {
  const ev = await waitEvent(page, id, 'onUploadDone', ms);
  return ev.find((e) => e.name === 'onUploadDone').args[0];
}

/** The answers of /folder/list for `source` in the order they came. */
function listings(tab, source) {
  return tab.exchanges.filter((x) => x.path === '/folder/list' && x.requestBody?.clouds?.[source]).map((x) => x.responseBody?.[source]);
}

/** Clicks "Connect to …" and follows the popup to the server's callback page. */
async function connect(page, provider) {
  await page.locator('.skiff-connect-button').waitFor({ timeout: 15_000 });
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('.skiff-connect-button').click()]);
  await popup.waitForURL(new RegExp(`/cloud/auth/${provider}/callback`), { timeout: 15_000 });
  return popup;
}

/** Objects the server's local storage holds (each a folder under some `objects/`). */
function storedObjects() {
  const found = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (e.name === 'objects') {
        found.push(...readdirSync(join(d, e.name)).filter((n) => !n.startsWith('.tmp-')));
      } else {
        walk(join(d, e.name));
      }
    }
  };
  walk(server.data);
  return found.sort();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits in Node until `pred()` holds. */
async function until(pred, ms, what) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------

sourcesTest('Unsplash: search, thumbnails from the listing, two photos imported (and the imagesearch alias), bytes intact', async (tab) => {
  const { page } = tab;
  await openPicker(page, 'u', config({ fromSources: ['unsplash', 'local_file_system'], maxFiles: 3, uploadConfig: { tags: { via: 'search' } } }));
  // The root is an empty search: the box, and no "This folder is empty". (Typing before the
  // root's listing answers loses the words: a test below holds the picker to that.)
  const search = page.locator('.skiff-search-input');
  await listed(page);
  assert.equal(await search.getAttribute('aria-label'), 'Search for images');
  assert.equal(await page.locator('.skiff-empty').count(), 0, 'an empty search is not an empty folder');
  await search.fill('kayak');
  await search.press('Enter');
  await waitItems(page, ['kayak1.jpg', 'kayak2.jpg'], 'the search for kayak');
  assert.deepEqual(await page.locator('.skiff-crumbs li').allTextContents(), ['Unsplash', 'kayak']);

  // Each result shows the thumbnail URL the server's listing gave (Unsplash's own, hotlinked).
  const [listing] = listings(tab, 'unsplash').filter((l) => l?.contents?.length);
  assert.ok(listing, 'a listing with the results');
  for (const entry of listing.contents) {
    const img = item(page, entry.path).locator('img.skiff-img');
    assert.equal(await img.getAttribute('src'), entry.thumbnail, `the thumbnail of ${entry.name}`);
    assert.ok(entry.thumbnail.startsWith(unsplash.content_url), `${entry.thumbnail} is the image host's`);
  }
  await waitFor(page, () => Array.from(document.querySelectorAll('.skiff-item img.skiff-img')).every((i) => i.complete && i.naturalWidth > 0),
    null, 10_000, 'the thumbnails to load');

  await item(page, '/kayak/kayak1.jpg').click();
  await item(page, '/kayak/kayak2.jpg').click();
  assert.equal(await page.locator('.skiff-files li').count(), 2);
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the Unsplash results with two picks');
  await page.locator('.skiff-upload').click();
  const done = await uploadDone(page, 'u');
  assert.deepEqual(done.filesFailed, []);
  const byPath = Object.fromEntries(done.filesUploaded.map((f) => [f.originalPath, f]));
  assert.deepEqual(Object.keys(byPath).sort(), ['/kayak/kayak1.jpg', '/kayak/kayak2.jpg']);
  for (const [path, photo] of [['/kayak/kayak1.jpg', PHOTOS[0]], ['/kayak/kayak2.jpg', PHOTOS[1]]]) {
    const f = byPath[path];
    // A cloud file's source is its fromSources name, as Filestack's picker reports it.
    assert.equal(f.source, 'unsplash', JSON.stringify(f));
    assert.equal(f.filename, `${photo.id}.jpg`);
    assert.equal(f.mimetype, 'image/jpeg');
    assert.equal(f.size, photo.bytes.length, `the size of ${path} as stored`);
    assert.deepEqual(f.uploadTags, { via: 'search' });
    assert.equal(sha256(await storedBytes(f.handle)), sha256(photo.bytes), `the stored bytes of ${path}`);
  }
  assert.equal(await unsplash.downloads(), 2, 'each import reported to Unsplash (download_location)');

  // The same stand-in under Filestack's `imagesearch` name, which the results carry.
  await page.evaluate(() => window.pk.pickers.u.close());
  await openPicker(page, 'i', config({ fromSources: ['imagesearch'] }));
  await listed(page);
  await page.locator('.skiff-search-input').fill('hut');
  await page.locator('.skiff-search-input').press('Enter');
  await waitItems(page, ['hut1.jpg'], 'the search for hut');
  assert.deepEqual(await page.locator('.skiff-crumbs li').allTextContents(), ['Image Search', 'hut']);
  await item(page, '/hut/hut1.jpg').click();
  await page.locator('.skiff-upload').click();
  const alias = await uploadDone(page, 'i');
  assert.equal(alias.filesUploaded.length, 1, JSON.stringify(alias));
  const [hut] = alias.filesUploaded;
  assert.equal(hut.source, 'imagesearch');
  assert.equal(hut.originalPath, '/hut/hut1.jpg');
  assert.ok((await storedBytes(hut.handle)).equals(PHOTOS[2].bytes));
  assert.equal(await unsplash.downloads(), 3);
});

sourcesTest('Unsplash: words typed in the search box while the tab is still loading are kept', async (tab) => {
  const { page } = tab;
  // The tab's first listing answers a second late, as on a slow network.
  await page.route(`${server.url}/folder/list`, async (route) => {
    const answer = await route.fetch();
    await sleep(1000);
    await route.fulfill({ response: answer });
  });
  await openPicker(page, 's', config({ fromSources: ['unsplash'] }));
  await page.locator('.skiff-loading').waitFor({ timeout: 5_000 });
  await page.locator('.skiff-search-input').fill('kayak');
  await listed(page);
  assert.equal(await page.locator('.skiff-search-input').inputValue(), 'kayak', 'the words are still in the box');
  await page.locator('.skiff-search-input').press('Enter');
  await waitItems(page, ['kayak1.jpg', 'kayak2.jpg'], 'the search typed while loading', 5_000);
});

/**
 * Clicks "Choose in Google Photos", chooses in the page it opens (the stand-in's chooses the whole
 * library), closes it and comes back: the picker's page gets the focus again.
 */
async function chooseInGooglePhotos(page) {
  const [chooser] = await Promise.all([page.waitForEvent('popup'), page.locator('.skiff-pick-button').click()]);
  await chooser.waitForLoadState();
  assert.match(await chooser.textContent('body'), /Chosen/);
  await chooser.close();
  await page.bringToFront();
  await page.evaluate(() => window.dispatchEvent(new Event('focus')));
}

sourcesTest('Google Photos: connect in the popup, choose in Google Photos, import one photo', async (tab) => {
  const { page } = tab;
  await openPicker(page, 'g', config({ fromSources: ['googlephotos'], maxFiles: 2 }));
  await page.locator('.skiff-connect').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.skiff-connect').textContent(), /Connect to Google Photos/);
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the Google Photos connect view');
  await connect(page, 'googlephotos');
  // Signed in: the root holds the folder of what the person chooses, and where to choose.
  await waitItems(page, ['Photos you chose'], 'the Google Photos root');
  await page.locator('.skiff-item.skiff-folder').click();
  await waitFor(page, () => document.querySelector('.skiff-crumb[aria-current=location]')?.textContent === 'Photos you chose' &&
    !document.querySelector('.skiff-loading'), null, 15_000, 'the folder listed');
  assert.equal(await page.locator('.skiff-item').count(), 0, 'nothing chosen yet');
  assert.equal(await page.locator('.skiff-pick-button').count(), 1, '"Choose in Google Photos" is offered');
  // The person chooses in Google Photos' page and comes back; the folder is listed again.
  await chooseInGooglePhotos(page);
  await waitItems(page, ['clip.mp4', 'IMG_0001.png'], 'the chosen photos');
  assert.equal(await page.locator('.skiff-pick-button').count(), 0, 'no "Choose" once the choice is made');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the chosen photos');
  await page.locator('.skiff-item', { hasText: 'IMG_0001.png' }).click();
  await page.locator('.skiff-upload').click();
  const done = await uploadDone(page, 'g');
  assert.equal(done.filesUploaded.length, 1, JSON.stringify(done));
  const [f] = done.filesUploaded;
  assert.equal(f.source, 'googlephotos');
  assert.equal(f.filename, 'IMG_0001.png');
  assert.equal(f.mimetype, 'image/png');
  assert.ok((await storedBytes(f.handle)).equals(LIBRARY[0].bytes), 'the stored bytes');
  const reads = (await photos.requests('/lh/')).filter((r) => r.path.endsWith('=d'));
  assert.equal(reads.length >= 1 && reads.every((r) => r.auth === 'Bearer'), true, `media reads with the bearer: ${JSON.stringify(reads)}`);
});

sourcesTest('Google Photos: choosing from the root\'s "Choose in Google Photos" keeps the choice when the person comes back', async (tab) => {
  const { page } = tab;
  await openPicker(page, 'r', config({ fromSources: ['googlephotos'] }));
  await connect(page, 'googlephotos');
  await waitItems(page, ['Photos you chose'], 'the Google Photos root');
  // The root offers the button too: the person chooses at once, without opening the folder.
  await page.locator('.skiff-pick-button').waitFor({ timeout: 15_000 });
  await chooseInGooglePhotos(page);
  // Coming back opens "Photos you chose" with what was just chosen (listing the root again
  // would start a new choice).
  await waitItems(page, ['clip.mp4', 'IMG_0001.png'], 'the photos chosen from the root', 10_000);
  assert.equal(await page.locator('.skiff-crumb[aria-current=location]').textContent(), 'Photos you chose');
});

sourcesTest('customsource over SeaweedFS: the tab has customSourceName, browsing starts at customSourcePath, nested files import intact', async (tab) => {
  const { page } = tab;
  await openPicker(page, 'c', config({
    fromSources: ['local_file_system', 'customsource'], maxFiles: 3,
    customSourceName: 'Team bucket', customSourcePath: 'shared/', customSourceContainer: BUCKET,
  }));
  const tabButton = page.locator('.skiff-tab[data-source=customsource]');
  assert.equal((await tabButton.textContent()).trim(), 'Team bucket');
  await tabButton.click();
  // The root is `shared/`: nothing above it shows.
  await waitItems(page, ['reports', 'top.txt'], 'the custom source\'s root');
  assert.deepEqual(await page.locator('.skiff-crumbs li').allTextContents(), ['Team bucket']);
  await item(page, '/reports/').click();
  await waitItems(page, ['2026', 'q3.csv'], 'reports');
  await item(page, '/reports/q3.csv').click();
  await item(page, '/reports/2026/').click();
  await waitItems(page, ['Tiefe Übersicht.bin'], 'reports/2026');
  assert.deepEqual(await page.locator('.skiff-crumbs li').allTextContents(), ['Team bucket', 'reports', '2026']);
  await item(page, '/reports/2026/Tiefe Übersicht.bin').click();
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the custom source\'s nested folder');
  // Every call of this source names the folder and the bucket.
  const calls = tab.exchanges.filter((x) => x.path === '/folder/list' && x.requestBody?.clouds?.customsource);
  assert.ok(calls.length >= 3);
  for (const c of calls) {
    assert.equal(c.requestBody.clouds.customsource.customSourcePath, 'shared/');
    assert.equal(c.requestBody.clouds.customsource.customSourceContainer, BUCKET);
  }
  await page.locator('.skiff-upload').click();
  const done = await uploadDone(page, 'c');
  assert.deepEqual(done.filesFailed, []);
  const byPath = Object.fromEntries(done.filesUploaded.map((f) => [f.originalPath, f]));
  assert.deepEqual(Object.keys(byPath).sort(), ['/reports/2026/Tiefe Übersicht.bin', '/reports/q3.csv']);
  assert.equal(byPath['/reports/q3.csv'].source, 'customsource');
  assert.equal((await storedBytes(byPath['/reports/q3.csv'].handle)).toString(), OBJECTS['shared/reports/q3.csv'].toString());
  const deep = await storedBytes(byPath['/reports/2026/Tiefe Übersicht.bin'].handle);
  assert.equal(deep.length, DEEP.length);
  assert.equal(sha256(deep), sha256(DEEP), 'the nested file is stored intact');
  const stores = tab.exchanges.filter((x) => x.path === '/store/');
  assert.equal(stores.length, 2);
  assert.ok(stores.every((x) => x.requestBody.clouds.customsource.customSourcePath === 'shared/'), 'imports name the folder too');

  // Another bucket than the server's is refused, and the tab says so.
  await page.evaluate(() => window.pk.pickers.c.close());
  await openPicker(page, 'x', config({ fromSources: ['customsource'], customSourceContainer: 'someone-elses' }));
  await page.locator('.skiff-list-error').waitFor({ timeout: 15_000 });
  const refused = tab.exchanges.filter((x) => x.path === '/folder/list' && x.requestBody?.clouds?.customsource?.customSourceContainer === 'someone-elses');
  assert.equal(refused.at(-1)?.status, 400);
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the custom source refused');
});

/**
 * Picks slow.bin in picker `id`, starts its import through the throttled proxy and cancels it
 * from its row once the row counts stored bytes. Returns the cancelled row.
 */
async function importThenCancel(page, id) {
  davProxy.configure({ rate: SLOW_RATE });
  await item(page, '/slow.bin').click();
  await page.locator('.skiff-upload').click();
  // Under way: the row counts the bytes the server has stored so far.
  await waitRows(page, '.skiff-picker', `(rs) => rs.length === 1 && rs[0].state === 'uploading' && /[1-9]/.test(rs[0].note)`, 20_000, 'the import to be under way');
  assert.deepEqual((await rows(page))[0].buttons, ['skiff-cancel'], 'a running import can be cancelled, not paused');
  await page.locator('.skiff-file .skiff-cancel').click();
  const [row] = await waitRows(page, '.skiff-picker', `(rs) => rs[0]?.state === 'cancelled'`, 5_000, 'the cancelled row');
  await waitEvent(page, id, 'onFileUploadCancel', 5_000);
  davProxy.configure({ rate: null });
  return row;
}

sourcesTest('Cancel and retry: an import cancelled from its row stores nothing and stops the server reading; picked again, it finishes intact', async (tab) => {
  const { page } = tab;
  // The /store/ request is aborted, so it has no response to record: note its body as it leaves.
  const stores = [];
  page.on('request', (r) => {
    if (r.url().startsWith(`${server.url}/store/`)) stores.push(JSON.parse(r.postData() ?? 'null'));
  });
  await openPicker(page, 'k', config({ fromSources: ['webdav'], maxFiles: 2 }));
  await waitItems(page, ['slow.bin'], 'the WebDAV root');
  const before = storedObjects();
  const row = await importThenCancel(page, 'k');
  assert.equal(row.note, 'Cancelled');
  const ev = await events(page, 'k');
  const cancelled = ev.filter((e) => e.name === 'onFileUploadCancel').map((e) => e.args[0]);
  assert.equal(cancelled.length, 1);
  assert.equal(cancelled[0].filename, 'slow.bin');
  assert.equal(cancelled[0].source, 'webdav');
  assert.equal(cancelled[0].originalPath, '/slow.bin');
  assert.deepEqual(ev.filter((e) => e.name === 'onFileUploadFailed'), [], 'a cancel is not a failure');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the cancelled import');

  // The server let go of the source and kept nothing.
  const importId = stores[0]?.clouds?.webdav?.import_id;
  assert.ok(importId, `the /store/ call named an import_id: ${JSON.stringify(stores)}`);
  let status;
  await until(async () => {
    status = await fetch(`${server.url}/cloud/imports/${importId}?key=${KEY}`).then((r) => r.json());
    return status.state !== 'running';
  }, 5_000, 'the import to end on the server');
  assert.equal(status.state, 'failed', `the import ended unfinished: ${JSON.stringify(status)}`);
  assert.ok(status.bytes < SLOW.length, JSON.stringify(status));
  const reads = () => davProxy.connections.filter((c) => c.downBytes > 64 * 1024);
  assert.ok(reads().length >= 1, `the server read the file through the proxy: ${davProxy.log().slice(-800)}`);
  await until(() => reads().every((c) => c.closedAt !== null), 5_000, `the server to close its reads of the source: ${davProxy.log().slice(-800)}`);
  assert.ok(reads().reduce((a, c) => a + c.downBytes, 0) < SLOW.length, 'the server stopped reading before the end');
  assert.deepEqual(storedObjects(), before, 'no object stored');

  // Picked again (at full speed now), the file is imported whole.
  assert.equal(await item(page, '/slow.bin').getAttribute('aria-selected'), 'false', 'a cancelled file is no longer picked');
  await item(page, '/slow.bin').click();
  // It should wait for Upload; the next test holds the picker to that, so this one only presses
  // Upload when it is offered.
  const picked = await waitRows(page, '.skiff-picker', `(rs) => (rs.length === 2 && rs[1].state !== 'checking') || rs.length === 0`, 5_000, 'the new row');
  if (picked[1]?.state === 'ready') await page.locator('.skiff-upload').click();
  const done = await uploadDone(page, 'k');
  assert.equal(done.filesUploaded.length, 1, JSON.stringify(done));
  assert.deepEqual(done.filesFailed, []);
  const [f] = done.filesUploaded;
  assert.equal(f.originalPath, '/slow.bin');
  const got = await storedBytes(f.handle);
  assert.equal(got.length, SLOW.length);
  assert.equal(sha256(got), sha256(SLOW), 'the retried import is intact');
  assert.equal(storedObjects().length, before.length + 1, 'the retried import is the one object stored');
  const all = await events(page, 'k');
  assert.equal(all.filter((e) => e.name === 'onFileUploadFinished').length, 1);
  assert.equal(all.filter((e) => e.name === 'onFileUploadCancel').length, 1);
  assert.equal(all.filter((e) => e.name === 'onUploadDone').length, 1);
});

sourcesTest('Cancel: a file picked after every import of the round was cancelled waits for Upload', async (tab) => {
  const { page } = tab;
  await openPicker(page, 'w', config({ fromSources: ['webdav'], maxFiles: 2 }));
  await waitItems(page, ['slow.bin'], 'the WebDAV root');
  await importThenCancel(page, 'w');
  const stores = [];
  page.on('request', (r) => { if (r.url().startsWith(`${server.url}/store/`)) stores.push(r.url()); });
  await item(page, '/slow.bin').click();
  await waitRows(page, '.skiff-picker', `(rs) => rs.length === 2 && rs[1].state !== 'checking'`, 5_000, 'the new row');
  // uploadInBackground is off: the person reviews the selection and presses Upload.
  await sleep(800);
  assert.deepEqual((await rows(page)).map((r) => r.state), ['cancelled', 'ready']);
  assert.deepEqual(stores, [], 'nothing imported before Upload');
  assert.equal(await page.locator('.skiff-upload').isEnabled(), true);
});

sourcesTest('filestack-js 4.3.8 through the drop-in: client.picker() with cloud sources, Dropbox connected, a file imported with tags', async (tab) => {
  const { page } = tab;
  await page.waitForFunction(() => typeof window.skiffFilestack?.registerWithFilestack === 'function', null, { timeout: 15_000 });
  await page.evaluate(async ({ base, apikey }) => {
    window.skiffFilestack.registerWithFilestack();
    // filestack-js's own init, pointed at skiff-server as docs/protocol.md §1.2 says.
    const client = filestack.init(apikey);
    Object.assign(client.session.urls, { uploadApiUrl: base, fileApiUrl: `${base}/api/file`, processUrl: base, cdnUrl: base, cloudApiUrl: base });
    window.pickerEvents = [];
    const note = (name) => (...args) => window.pickerEvents.push({ name, args: JSON.parse(JSON.stringify(args, (k, v) => (v instanceof File ? '<File>' : v))) });
    window.fsPicker = client.picker({
      fromSources: ['local_file_system', 'dropbox', 'webdav'],
      uploadConfig: { tags: { project: 'skiff', stage: 'dropin' } },
      onOpen: () => window.pickerEvents.push({ name: 'onOpen' }),
      onFileUploadFinished: note('onFileUploadFinished'),
      onFileUploadFailed: note('onFileUploadFailed'),
      onUploadDone: (r) => { window.pickerEvents.push({ name: 'onUploadDone' }); window.done = JSON.parse(JSON.stringify(r)); },
    });
    await window.fsPicker.open();
  }, { base: server.url, apikey: KEY });
  await page.locator('.skiff-picker [role=dialog]').waitFor({ timeout: 20_000 });
  // filestack-js checks fromSources against its own list before the picker gets them: `webdav`,
  // a source Skiff adds, is dropped there (with its warning), so the picker shows the others.
  assert.ok(tab.console.some((l) => l.includes('Invalid source "webdav" found and removed')), tab.console.join('\n'));
  const tabs = await page.locator('.skiff-tab').evaluateAll((els) => els.map((e) => e.dataset.source));
  assert.deepEqual(tabs, ['local_file_system', 'dropbox']);
  await page.locator('.skiff-tab[data-source=dropbox]').click();
  await connect(page, 'dropbox');
  await waitItems(page, ['Fotos', 'notes.md', 'readme.txt', 'zeta.csv'], 'Dropbox after connecting');
  await item(page, '/readme.txt').click();
  // The pick survives a visit to the other tab.
  await page.locator('.skiff-tab[data-source=local_file_system]').click();
  await page.locator('.skiff-tab[data-source=dropbox]').click();
  await waitFor(page, () => document.querySelector('.skiff-item[data-path="/readme.txt"]')?.getAttribute('aria-selected') === 'true', null, 15_000, 'the pick kept');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'Dropbox in the drop-in picker');
  await page.locator('.skiff-upload').click();
  await page.waitForFunction(() => window.done !== undefined, null, { timeout: 30_000 });
  const done = await page.evaluate(() => window.done);
  assert.deepEqual(done.filesFailed, []);
  assert.equal(done.filesUploaded.length, 1, JSON.stringify(done));
  const [f] = done.filesUploaded;
  assert.equal(f.source, 'dropbox');
  assert.equal(f.originalPath, '/readme.txt');
  assert.deepEqual(f.uploadTags, { project: 'skiff', stage: 'dropin' });
  assert.equal(f.filename, 'readme.txt');
  assert.equal(typeof f.handle, 'string');
  assert.equal((await storedBytes(f.handle)).toString(), 'hello from the stand-in\n');
  const evs = await page.evaluate(() => window.pickerEvents.map((e) => e.name));
  assert.deepEqual(evs, ['onOpen', 'onFileUploadFinished', 'onUploadDone']);
  const stores = tab.exchanges.filter((x) => x.path === '/store/');
  assert.deepEqual(stores.map((x) => x.requestBody.upload_tags), [{ project: 'skiff', stage: 'dropin' }]);
  assert.deepEqual(tab.console.filter((l) => l.startsWith('[blocked]')), [], 'no request to a Filestack host');
}, { pageUrl: () => `${dropinSite.url}/`, harness: false });
