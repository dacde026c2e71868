// End-to-end: the picker's cloud sources in Chromium, against skiff-server with a real WebDAV
// server (rclone) as the app owner's source and the Dropbox stand-in (crates/standins) as a
// person's account. A person browses folders (list and grid, paging, breadcrumbs, keyboard),
// picks files across folders, imports them with the app's tags (callbacks in order, tags in every
// result, bytes stored intact); connects Dropbox through the sign-in popup (blocked, denied and
// successful flows), finds the session again after reopening the picker and after a reload
// (`sessionCache`), and signs out. Screenshots in target/screenshots/cloud-*.png (en and ar).
//
// Run: node --test tests/e2e/picker-cloud.test.mjs
// Needs rclone (scripts/setup.sh), /usr/bin/chromium, dist/ and the server and stand-in binaries.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage } from './support/browser.mjs';
import { REPO_ROOT, startServer } from './support/server.mjs';
import { ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { startStandin } from './support/standin.mjs';
import { startWebdav } from './support/webdav.mjs';
import { events, installHarness, openPicker, png, rows, waitEvent, waitFor } from './support/picker-page.mjs';
import { rethrowWith } from './support/diag.mjs';
import { assertNoViolations, audit } from './support/axe.mjs';

const KEY = 'cloud-picker';
const SHOTS = join(REPO_ROOT, 'target', 'screenshots');
const BIG = randomBytes(300 * 1024 + 7);
const PHOTO = png(96, 64, [200, 120, 40]);
const MANY = 600;
const manyName = (i) => `f${String(i).padStart(4, '0')}.txt`;
let dir;
let dav;
let standin;
let server;
let site;
let browser;

before(async () => {
  ensureDist();
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'skiff-cloud-picker-'));
  const files = join(dir, 'dav');
  mkdirSync(join(files, 'docs'), { recursive: true });
  writeFileSync(join(files, 'readme.txt'), 'hello from WebDAV\n');
  writeFileSync(join(files, 'photo.png'), PHOTO);
  writeFileSync(join(files, 'docs', 'report q3.csv'), 'a,b\n1,2\n');
  writeFileSync(join(files, 'docs', 'Überblick.bin'), BIG);
  // A long folder: the list draws only the rows in view.
  mkdirSync(join(files, 'many'));
  for (let i = 0; i < MANY; i++) writeFileSync(join(files, 'many', manyName(i)), `${i}\n`);
  [dav, standin, site, browser] = await Promise.all([
    startWebdav(files, { user: 'dav-user', pass: 'dav-pass' }),
    startStandin('dropbox'),
    startSkiffSite(),
    launchBrowser(),
  ]);
  const config = join(dir, 'skiff.toml');
  writeFileSync(config, [
    '[[apps]]',
    `key = "${KEY}"`,
    `allowed_origins = ["${site.url}"]`,
    '[sources.webdav]',
    `url = "${dav.url}"`,
    'username = "dav-user"',
    'password = "dav-pass"',
    standin.sourceToml(),
    '',
  ].join('\n'));
  server = await startServer({ name: 'cloud-picker', extraArgs: ['--config', config] });
  await standin.registerRedirect(`${server.url}/cloud/auth/dropbox/callback`);
}, { timeout: 120_000 });

after(async () => {
  for (const step of [() => browser?.close(), () => site?.stop(), () => server?.stop(), () => standin?.stop(), () => dav?.stop()]) {
    try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A test with its own browser context; a failure carries the picker, console and server logs. */
function cloudTest(name, fn) {
  test(name, { timeout: 90_000 }, async () => {
    const tab = await openPage(browser, `${site.url}/`, () => [server.url]);
    try {
      await installHarness(tab.page);
      await fn(tab);
    } catch (err) {
      const dom = await tab.page.evaluate(() => Array.from(document.querySelectorAll('.skiff-picker'), (e) => e.outerHTML).join('\n')).catch(() => '?');
      const ev = await tab.page.evaluate(() => JSON.stringify(window.pk?.ev ?? [])).catch(() => '?');
      rethrowWith(err, ['', '--- callbacks ---', ev.slice(0, 5000), '--- console ---', ...tab.console.slice(-60),
        '--- picker ---', dom.slice(0, 6000), '--- server ---', server.log().slice(-6000), '--- stand-in ---',
        standin.log().slice(-2000)].join('\n'));
    } finally {
      await tab.context.close().catch(() => {});
    }
  });
}

const config = (options, extra = {}) => ({ apikey: KEY, baseUrl: server.url, options, ...extra });

/** The items the browser shows: [{name, folder, selected, note}]. */
function items(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('.skiff-item'), (el) => ({
    name: el.querySelector('.skiff-file-name')?.textContent,
    folder: el.classList.contains('skiff-folder'),
    selected: el.getAttribute('aria-selected') === 'true',
    note: el.querySelector('.skiff-file-note')?.textContent ?? null,
  })));
}

async function waitItems(page, names, what) {
  await waitFor(page, (want) => {
    const got = Array.from(document.querySelectorAll('.skiff-item .skiff-file-name'), (e) => e.textContent);
    return JSON.stringify(got) === JSON.stringify(want);
  }, names, 15_000, `${what}: items ${JSON.stringify(names)}`).catch(async (e) => {
    throw new Error(`${e.message}; shown: ${JSON.stringify(await items(page))}`);
  });
}

const item = (page, path) => page.locator(`.skiff-item[data-path="${path}"]`);

async function shot(page, name) {
  await page.locator('.skiff-dialog').screenshot({ path: join(SHOTS, `cloud-${name}.png`) });
}

async function storedBytes(handle) {
  const r = await fetch(`${server.url}/${handle}`);
  assert.equal(r.status, 200, `GET /${handle}`);
  return Buffer.from(await r.arrayBuffer());
}

cloudTest('WebDAV: browse, pick across folders, import with tags, in order, bytes intact', async ({ page }) => {
  await openPicker(page, 'w', config(
    { fromSources: ['webdav', 'local_file_system'], maxFiles: 5, uploadConfig: { tags: { team: 'blue' } } },
    { fns: { 'uploadConfig.tags.name': '(f) => `n-${f.filename}`' } },
  ));
  await waitItems(page, ['docs', 'many', 'photo.png', 'readme.txt'], 'the root');
  const crumbs = () => page.locator('.skiff-crumbs li').allTextContents();
  assert.deepEqual(await crumbs(), ['WebDAV']);
  await item(page, '/readme.txt').click();
  await item(page, '/docs/').click();
  await waitItems(page, ['report q3.csv', 'Überblick.bin'], 'docs');
  assert.deepEqual(await crumbs(), ['WebDAV', 'docs']);
  await page.locator('.skiff-item', { hasText: 'Überblick.bin' }).click();
  await page.locator('.skiff-crumb', { hasText: 'WebDAV' }).click();
  await waitItems(page, ['docs', 'many', 'photo.png', 'readme.txt'], 'the root again');
  const root = await items(page);
  assert.equal(root.find((i) => i.name === 'readme.txt').selected, true, 'the pick survives moving between folders');
  assert.equal(await page.locator('.skiff-files li').count(), 2);
  await shot(page, 'list-en');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the WebDAV list with two picks');

  await page.locator('.skiff-grid-view').click();
  await waitFor(page, () => !!document.querySelector('.skiff-browser[data-layout=grid]'), null, 5_000, 'the grid');
  // The photo's picture comes from the server, loaded as its tile is drawn; the token is not
  // in its address. A text file has none: its type's badge shows.
  await waitFor(page, () => {
    const img = document.querySelector('.skiff-item[data-path="/photo.png"] img.skiff-img');
    return img && img.complete && img.naturalWidth > 0 && !img.hidden;
  }, null, 10_000, 'the photo\'s thumbnail');
  const src = await item(page, '/photo.png').locator('img.skiff-img').getAttribute('src');
  assert.match(src, /\/cloud\/thumbnails\//);
  const token = await page.evaluate(() => localStorage.getItem('__fs_picker_token') ?? sessionStorage.getItem('__fs_picker_token'));
  if (token) assert.ok(!src.includes(token), 'no session token in a thumbnail address');
  assert.equal(await item(page, '/readme.txt').locator('img').count(), 0);
  assert.equal(await item(page, '/readme.txt').locator('.skiff-kind').textContent(), 'TXT');
  await shot(page, 'grid-en');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the WebDAV grid');

  await page.locator('.skiff-upload').click();
  const ev = await waitEvent(page, 'w', 'onUploadDone', 30_000);
  const names = ev.map((e) => e.name).filter((n) => !['onFileUploadProgress', 'onOpen', 'onFileSelected', 'onClose'].includes(n));
  assert.deepEqual(names.slice(0, 2), ['onUploadStarted', 'onFileUploadStarted']);
  assert.deepEqual(names.filter((n) => n === 'onFileUploadFinished').length, 2);
  assert.equal(names.at(-1), 'onUploadDone', names.join(', '));
  const doneEvent = ev.find((e) => e.name === 'onUploadDone');
  const done = doneEvent.args[0].filesUploaded;
  assert.equal(done.length, 2, JSON.stringify(doneEvent));
  const byName = Object.fromEntries(done.map((f) => [f.filename, f]));
  assert.equal(byName['readme.txt'].source, 'webdav');
  assert.equal(byName['readme.txt'].originalPath, '/readme.txt');
  assert.deepEqual(byName['readme.txt'].uploadTags, { team: 'blue', name: 'n-readme.txt' });
  assert.deepEqual(byName['Überblick.bin'].uploadTags, { team: 'blue', name: 'n-Überblick.bin' });
  assert.equal((await storedBytes(byName['readme.txt'].handle)).toString(), 'hello from WebDAV\n');
  assert.ok((await storedBytes(byName['Überblick.bin'].handle)).equals(BIG), 'the big file is stored intact');
  const finished = ev.filter((e) => e.name === 'onFileUploadFinished').map((e) => e.args[0]);
  assert.ok(finished.every((f) => f.uploadTags?.team === 'blue' && f.handle), JSON.stringify(finished));
});

cloudTest('WebDAV: a folder of 600 files draws only the rows in view; scrolling, End and the grid reach every one', async ({ page }) => {
  await openPicker(page, 'm', config({ fromSources: ['webdav'], maxFiles: 700 }));
  await waitItems(page, ['docs', 'many', 'photo.png', 'readme.txt'], 'the root');
  await item(page, '/many/').click();
  await waitFor(page, (n) => document.querySelector('.skiff-item')?.getAttribute('aria-setsize') === String(n), MANY, 15_000, 'the long folder');
  const drawn = () => page.evaluate(() => Array.from(document.querySelectorAll('.skiff-item'), (e) => Number(e.dataset.index)));
  const top = await drawn();
  assert.equal(top[0], 0);
  assert.ok(top.length < 40, `only the rows in view and a few more are drawn, not ${top.length}`);
  const list = page.locator('.skiff-items');
  const fullHeight = await list.evaluate((el) => el.scrollHeight);
  assert.ok(fullHeight > MANY * 50, `the scroll bar measures the whole folder (${fullHeight} px)`);

  // Scrolled to the middle and to the end, the rows there are drawn.
  await list.evaluate((el) => { el.scrollTop = el.scrollHeight / 2; });
  await waitFor(page, () => Array.from(document.querySelectorAll('.skiff-item'), (e) => Number(e.dataset.index)).some((i) => i > 280 && i < 320), null, 5_000, 'the middle rows');
  await list.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await waitFor(page, (last) => !!document.querySelector(`.skiff-item[data-index="${last}"]`), MANY - 1, 5_000, 'the last row');
  assert.equal(await page.locator(`.skiff-item[data-index="${MANY - 1}"] .skiff-file-name`).textContent(), manyName(MANY - 1));
  assert.ok((await drawn()).length < 40);

  // The keyboard reaches both ends; the focused item is drawn and focused.
  await list.evaluate((el) => { el.scrollTop = 0; });
  await waitFor(page, () => !!document.querySelector('.skiff-item[data-index="0"]'), null, 5_000, 'the top again');
  // A click, then a Shift-click five rows down, picks the six files between.
  await page.locator('.skiff-item[data-index="2"]').click();
  await page.locator('.skiff-item[data-index="7"]').click({ modifiers: ['Shift'] });
  await waitFor(page, () => document.querySelectorAll('.skiff-item[aria-selected=true]').length === 6, null, 5_000, 'a Shift-click range');
  assert.deepEqual(await page.evaluate(() => Array.from(document.querySelectorAll('.skiff-item[aria-selected=true]'), (e) => Number(e.dataset.index))), [2, 3, 4, 5, 6, 7]);
  await page.locator('.skiff-files .skiff-remove').first().waitFor();
  for (let i = 0; i < 6; i++) await page.locator('.skiff-files .skiff-remove').first().click();

  await page.locator('.skiff-item[data-index="0"]').focus();
  await page.keyboard.press('End');
  await waitFor(page, (last) => document.activeElement?.dataset.index === String(last), MANY - 1, 5_000, 'End focuses the last item');
  await page.keyboard.press(' ');
  await waitFor(page, (last) => document.querySelector(`.skiff-item[data-index="${last}"]`)?.getAttribute('aria-selected') === 'true', MANY - 1, 5_000, 'Space picks it');
  await page.keyboard.press('Home');
  await waitFor(page, () => document.activeElement?.dataset.index === '0', null, 5_000, 'Home focuses the first item');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the long folder');

  // The grid draws whole rows of tiles around the view too.
  await page.locator('.skiff-grid-view').click();
  await waitFor(page, () => !!document.querySelector('.skiff-browser[data-layout=grid]'), null, 5_000, 'the grid');
  await list.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await waitFor(page, (last) => !!document.querySelector(`.skiff-item[data-index="${last}"]`), MANY - 1, 5_000, 'the last tile');
  const tiles = await drawn();
  assert.ok(tiles.length < 120, `only the tiles in view and a few rows more are drawn, not ${tiles.length}`);
  assert.equal(await page.locator('.skiff-files li').count(), 1, 'the pick made by keyboard is in the list');
});

cloudTest('WebDAV: a whole folder is picked by its box, its files take its place on upload; a folder over the limit says so', async ({ page }) => {
  await openPicker(page, 'f', config({ fromSources: ['webdav'], maxFiles: 5, uploadConfig: { tags: { via: 'folder' } } }));
  await waitItems(page, ['docs', 'many', 'photo.png', 'readme.txt'], 'the root');
  // The box picks the folder; the rest of the row still opens it.
  await item(page, '/docs/').locator('.skiff-check').click();
  await item(page, '/many/').locator('.skiff-check').click();
  await item(page, '/readme.txt').click();
  assert.equal(await item(page, '/docs/').getAttribute('aria-selected'), 'true');
  assert.deepEqual(await rows(page), [
    { name: 'docs', state: 'ready', note: 'Folder: all files inside, up to 5', buttons: ['skiff-remove'] },
    { name: 'many', state: 'ready', note: 'Folder: all files inside, up to 5', buttons: ['skiff-remove'] },
    { name: 'readme.txt', state: 'ready', note: 'Ready', buttons: ['skiff-remove'] },
  ]);
  assertNoViolations(await audit(page, '.skiff-dialog'), 'picked folders');
  await page.locator('.skiff-upload').click();
  const ev = await waitEvent(page, 'f', 'onUploadDone', 30_000);
  const [done] = ev.filter((e) => e.name === 'onUploadDone').map((e) => e.args[0]);
  const names = done.filesUploaded.map((f) => f.filename).sort();
  assert.deepEqual(names, ['readme.txt', 'report q3.csv', 'Überblick.bin']);
  const report = done.filesUploaded.find((f) => f.filename === 'report q3.csv');
  assert.equal(report.originalPath, '/docs/report q3.csv');
  assert.deepEqual(report.uploadTags, { via: 'folder' });
  assert.equal((await storedBytes(report.handle)).toString(), 'a,b\n1,2\n');
  // 600 files do not fit in what maxFiles leaves: the folder fails as a whole, and says why.
  const many = (await rows(page)).find((r) => r.name === 'many');
  assert.equal(many.state, 'failed');
  assert.match(many.note, /more files than can be picked/);
  assert.deepEqual(done.filesFailed.map((f) => f.filename), ['many']);
  const files = (await rows(page)).map((r) => r.name);
  assert.deepEqual(files, ['report q3.csv', 'Überblick.bin', 'many', 'readme.txt'], 'the folder\'s files took its place');
  await shot(page, 'import-en');
});

cloudTest('WebDAV: restrictions show their reason, accept filters, keyboard alone browses and picks', async ({ page }) => {
  await openPicker(page, 'r', config({ fromSources: ['webdav'], maxFiles: 3, maxSize: 1000, lang: 'ar' }));
  await waitItems(page, ['docs', 'many', 'photo.png', 'readme.txt'], 'the root');
  await shot(page, 'list-ar');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the WebDAV list in Arabic');
  // Keyboard only: the first item holds the focus; arrows move it, Enter opens, Space picks.
  await page.locator('.skiff-item[tabindex="0"]').focus();
  await page.keyboard.press('Enter');
  await waitItems(page, ['report q3.csv', 'Überblick.bin'], 'docs by Enter');
  await page.locator('.skiff-item[tabindex="0"]').focus();
  await page.keyboard.press('ArrowDown');
  const focused = await page.evaluate(() => document.activeElement?.querySelector('.skiff-file-name')?.textContent);
  assert.equal(focused, 'Überblick.bin');
  await page.keyboard.press(' ');
  await waitFor(page, () => !!document.querySelector('.skiff-item.skiff-refused'), null, 5_000, 'the refusal');
  const big = (await items(page)).find((i) => i.name === 'Überblick.bin');
  assert.equal(big.selected, false);
  assert.match(big.note, /1\.0 kB/, 'the reason names the limit');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press(' ');
  await waitFor(page, () => document.querySelector('.skiff-item[aria-selected=true]') !== null, null, 5_000, 'a pick by Space');
  await page.keyboard.press('Backspace');
  await waitItems(page, ['docs', 'many', 'photo.png', 'readme.txt'], 'back by Backspace');
  await page.locator('.skiff-grid-view').click();
  await shot(page, 'grid-ar');
  // An import with a folder too large for maxFiles: the picker stays open on the failure, in
  // Arabic.
  await item(page, '/many/').locator('.skiff-check').click();
  await page.locator('.skiff-upload').click();
  await waitEvent(page, 'r', 'onUploadDone', 30_000);
  await waitFor(page, () => !!document.querySelector('.skiff-file[data-state=failed]'), null, 5_000, 'the failed folder');
  await shot(page, 'import-ar');
  await page.evaluate(() => window.pk.pickers.r.close());

  await openPicker(page, 'a', config({ fromSources: ['webdav'], accept: ['.txt'] }));
  await waitItems(page, ['docs', 'many', 'readme.txt'], 'the root with accept .txt');
});

/** Clicks "Connect to Dropbox" and follows the popup to the server's callback page. */
async function connect(page) {
  await page.locator('.skiff-connect-button').waitFor({ timeout: 15_000 });
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.locator('.skiff-connect-button').click()]);
  await popup.waitForURL(/\/cloud\/auth\/dropbox\/callback/, { timeout: 15_000 }).catch(() => {});
  return popup;
}

cloudTest('Dropbox: connect in the popup, page past one page, import, reopen, reload with sessionCache, sign out', async (tab) => {
  const { page } = tab;
  const cfg = config({ fromSources: ['dropbox', 'local_file_system'], maxFiles: 3 }, { clientOptions: { sessionCache: true } });
  await page.evaluate(() => localStorage.removeItem('__fs_picker_token'));
  await openPicker(page, 'd', cfg);
  await page.locator('.skiff-connect').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.skiff-connect').textContent(), /Connect to Dropbox/);
  await shot(page, 'connect-en');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the connect view');
  await connect(page);
  // Two entries a page: the rows drawn reach the end of the first page, so the next is asked
  // for without a click, and so on to the last.
  const all = ['Fotos', 'notes.md', 'readme.txt', 'zeta.csv'];
  await waitItems(page, all, 'every page after connecting');
  assert.match(await page.locator('.skiff-account').textContent(), /ana@dropbox\.example/);
  assert.equal(await page.locator('.skiff-more').count(), 0, 'no "Load more" once the last page is read');
  await item(page, '/Fotos/').click();
  await waitFor(page, () => document.querySelectorAll('.skiff-item').length === 2, null, 15_000, 'Fotos');
  await page.locator('.skiff-item', { hasText: 'Überblick.txt' }).click();
  await page.locator('.skiff-upload').click();
  const ev = await waitEvent(page, 'd', 'onUploadDone', 30_000);
  const [file] = ev.find((e) => e.name === 'onUploadDone').args[0].filesUploaded;
  assert.equal(file.source, 'dropbox');
  assert.equal((await storedBytes(file.handle)).toString(), 'grüße\n');

  // Reopened: the session is kept, no sign-in.
  await page.evaluate(() => window.pk.pickers.d.open());
  await waitItems(page, all, 'the reopened picker');
  await page.evaluate(() => window.pk.pickers.d.close());

  // Reloaded: sessionCache kept the token in localStorage.
  await page.reload();
  await page.waitForFunction(() => window.skiffPageReady === true);
  await installHarness(page);
  assert.ok(await page.evaluate(() => localStorage.getItem('__fs_picker_token')), 'the token is in localStorage');
  await openPicker(page, 'e', cfg);
  await waitItems(page, all, 'the picker after a reload');

  await page.locator('.skiff-sign-out').click();
  await page.locator('.skiff-connect').waitFor({ timeout: 15_000 });
  const exchanges = tab.exchanges.filter((x) => x.path === '/auth/logout');
  assert.equal(exchanges.length, 1);
  assert.deepEqual(exchanges[0].responseBody?.dropbox, { revoked: true });
});

cloudTest('Dropbox: a blocked popup and a refusal at the provider each say so, and trying again works', async ({ page }) => {
  // The connect view in Arabic first.
  await openPicker(page, 'ar', config({ fromSources: ['dropbox'], lang: 'ar' }));
  await page.locator('.skiff-connect-button').waitFor({ timeout: 15_000 });
  await shot(page, 'connect-ar');
  assertNoViolations(await audit(page, '.skiff-dialog'), 'the connect view in Arabic');
  await page.evaluate(() => window.pk.pickers.ar.close());
  await openPicker(page, 'b', config({ fromSources: ['dropbox'] }));
  await page.locator('.skiff-connect-button').waitFor({ timeout: 15_000 });
  await page.evaluate(() => { window.realOpen = window.open; window.open = () => null; });
  await page.locator('.skiff-connect-button').click();
  await page.locator('.skiff-signin-error').waitFor({ timeout: 5_000 });
  assert.match(await page.locator('.skiff-signin-error').textContent(), /blocked/);
  await page.evaluate(() => { window.open = window.realOpen; });

  await standin.denyNext();
  await connect(page);
  await waitFor(page, () => /not granted/.test(document.querySelector('.skiff-signin-error')?.textContent ?? ''), null, 15_000, 'the denial');
  assert.equal(await page.locator('.skiff-connect-button').textContent(), 'Try again');
  await connect(page);
  await waitItems(page, ['Fotos', 'notes.md', 'readme.txt', 'zeta.csv'], 'the listing after trying again');
  assert.deepEqual((await events(page, 'b')).filter((e) => e.name === 'onUploadDone'), []);
});

cloudTest('Dropbox: with the popup blocked, signing in in this tab comes back to the Dropbox tab (denied first, then signed in)', async ({ page }) => {
  const cfg = config({ fromSources: ['local_file_system', 'dropbox'] });
  const all = ['Fotos', 'notes.md', 'readme.txt', 'zeta.csv'];
  const leave = async () => {
    await page.locator('.skiff-tab[data-source=dropbox]').click();
    await page.locator('.skiff-connect-button').waitFor({ timeout: 15_000 });
    await page.evaluate(() => { window.open = () => null; });
    await page.locator('.skiff-connect-button').click();
    await page.locator('.skiff-in-tab').waitFor({ timeout: 5_000 });
    assert.match(await page.locator('.skiff-signin-error').textContent(), /sign in in this tab/);
    await page.locator('.skiff-in-tab').click();
    // The tab goes to the provider's consent and the server sends it back here.
    await page.waitForURL(/fs-tab=dropbox/, { timeout: 15_000 });
    await page.waitForFunction(() => window.skiffPageReady === true);
    await installHarness(page);
  };
  await openPicker(page, 'r1', cfg);
  await standin.denyNext();
  await leave();
  assert.match(page.url(), /skiff-auth=denied/);
  // The app opens its picker again on load (README: redirect mode); it starts on Dropbox.
  await openPicker(page, 'r2', cfg);
  await page.locator('.skiff-signin-error').waitFor({ timeout: 15_000 });
  assert.match(await page.locator('.skiff-signin-error').textContent(), /not granted at Dropbox/);
  assert.equal(await page.locator('.skiff-tab[aria-pressed=true]').getAttribute('data-source'), 'dropbox');
  assert.doesNotMatch(page.url(), /fs-tab|skiff-auth/, 'the address is clean again');
  await page.evaluate(() => window.pk.pickers.r2.close());

  await openPicker(page, 'r3', cfg);
  await leave();
  assert.ok(await page.evaluate(() => sessionStorage.getItem('__fs_picker_token')), 'the session waited in this tab');
  assert.doesNotMatch(page.url(), /token|code=/, 'nothing secret in the address');
  await openPicker(page, 'r4', cfg);
  await waitItems(page, all, 'the files after signing in in this tab');
  assert.equal(await page.locator('.skiff-tab[aria-pressed=true]').getAttribute('data-source'), 'dropbox');
  assert.doesNotMatch(page.url(), /fs-tab/);
});

