// End-to-end: uploads carried on after a page reload (Skiff's `resume`, on by default). In
// headless Chromium, Skiff's browser module uploads a file on a throttled uplink; the page is
// reloaded once some parts are in; the same file (same bytes, name, type and lastModified) given
// to `client.upload` again carries on: no new upload is started, the server's log shows every
// part stored once in all, and the file is whole.
//
//   1. regular: only the parts the server lacks are sent after the reload;
//   2. intelligent: the upload carries on through /multipart/resume, the file is whole;
//   3. a changed file (other bytes, same name, size and date) starts afresh;
//   4. `resume: false` starts afresh, and clearResumableUploads() forgets what was kept.
//
// Run: node --test tests/e2e/skiff-resume.test.mjs
// Needs Chromium, dist/ and the server binary (as the other e2e tests).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer } from './support/server.mjs';
import { launchBrowser, openPage, withUplink } from './support/browser.mjs';
import { ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { cleanUp, deadlineTest } from './support/diag.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
const MODIFIED = 1_700_000_000_000;
let server;
let site;
let browser;
let tab;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ensureDist();
  [server, site] = await Promise.all([startServer({ name: 'resume' }), startSkiffSite()]);
  browser = await launchBrowser();
  tab = await openPage(browser, `${site.url}/`, () => [server.url]);
}, { timeout: 120_000 });

after(async () => {
  await cleanUp([() => browser?.close(), () => site?.stop(), () => server?.stop()]);
});

function e2e(name, deadlineMs, fn) {
  deadlineTest(test, name, deadlineMs, {
    mark: () => {
      if (!tab) throw new Error('setup failed (see the before hook)');
      return { server: server.log().length, console: tab.console.length };
    },
    diag: (from) => ['', '--- browser console ---', ...tab.console.slice(from.console), '--- server ---',
      server.log().slice(from.server)].join('\n'),
  }, fn);
}

/** Lines of the server's log since `from` that match `re`. */
const logged = (from, re) => server.log().slice(from).split('\n').filter((l) => re.test(l)).length;
const partsStored = (from) => logged(from, /method=PUT path=\/multipart\/part\/.*finished processing.*status=200/);
const starts = (from) => logged(from, /method=POST path=\/multipart\/start\}.*started processing/);
const resumes = (from) => logged(from, /method=POST path=\/multipart\/resume\}.*started processing/);

const seeded = (id, size, seed) => tab.page.evaluate(
  ([i, s, sd, m]) => window.skiffSeededFile(i, s, `${i}.bin`, 'application/octet-stream', sd, m), [id, size, seed, MODIFIED]);

/** `client.upload` of a kept file in the page; its result (or the Error's message). */
const upload = (id, options) => tab.page.evaluate(async ({ base, apikey, id, options }) => {
  try {
    const client = window.skiff.init(apikey, { baseUrl: base });
    return { ok: true, res: JSON.parse(JSON.stringify(await client.upload(window.skiffFiles[id], options))) };
  } catch (e) {
    return { ok: false, error: String(e && e.message) };
  }
}, { base: server.url, apikey: server.apikey, id, options });

/** Starts uploading `id` on a slow uplink and reloads the page once `until()` holds. */
async function reloadMidUpload(id, options, until) {
  await withUplink(tab.page, 3 * MiB, async () => {
    const running = upload(id, options).catch(() => null); // ends with the page
    for (let i = 0; i < 400 && !until(); i++) await sleep(50);
    assert.ok(until(), 'the upload got far enough before the reload');
    await tab.page.reload();
    await running;
  });
  await tab.page.waitForFunction(() => window.skiff && window.skiffSeededFile);
}

async function assertWhole(handle, file) {
  const body = Buffer.from(await (await fetch(`${server.url}/${handle}`)).arrayBuffer());
  assert.equal(createHash('sha256').update(body).digest('hex'), file.sha256, 'the stored file is the one picked');
}

e2e('1. regular: after a reload only the missing parts are sent', 90_000, async (from) => {
  const size = 30 * MiB + 5; // six parts of 6 MiB (the last 5 B)
  await seeded('reg', size, 7);
  await reloadMidUpload('reg', {}, () => partsStored(from.server) >= 2);
  const before = partsStored(from.server);
  const mark = server.log().length;
  const file = await seeded('reg', size, 7);
  const r = await upload('reg', {});
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 0, 'no new upload was started');
  assert.equal(resumes(mark), 1, 'the server was asked what it holds');
  const after = partsStored(mark);
  assert.ok(after < 6, `only the missing parts went again: ${after} of 6`);
  assert.equal(before + after, 6, `every part stored once in all (${before} before, ${after} after)`);
  await assertWhole(r.res.handle, file);
});

e2e('2. intelligent: the upload carries on after a reload', 90_000, async (from) => {
  const size = 20 * MiB + 3;
  await seeded('fii', size, 8);
  await reloadMidUpload('fii', { intelligent: true }, () => partsStored(from.server) >= 2);
  const mark = server.log().length;
  const file = await seeded('fii', size, 8);
  const r = await upload('fii', { intelligent: true });
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 0, 'no new upload was started');
  assert.equal(resumes(mark), 1);
  await assertWhole(r.res.handle, file);
});

e2e('3. a changed file starts afresh', 90_000, async (from) => {
  const size = 12 * MiB;
  await seeded('chg', size, 9);
  await reloadMidUpload('chg', {}, () => partsStored(from.server) >= 1);
  const mark = server.log().length;
  const file = await seeded('chg', size, 10); // same name, size and date; other bytes
  const r = await upload('chg', {});
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 1, 'a new upload');
  assert.equal(resumes(mark), 0);
  await assertWhole(r.res.handle, file);
});

e2e('4. resume: false, and clearResumableUploads()', 90_000, async (from) => {
  const size = 12 * MiB;
  await seeded('off', size, 11);
  await reloadMidUpload('off', {}, () => partsStored(from.server) >= 1);
  let mark = server.log().length;
  let file = await seeded('off', size, 11);
  let r = await upload('off', { resume: false });
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 1, 'resume: false starts afresh');

  await seeded('clr', size, 12);
  await reloadMidUpload('clr', {}, () => partsStored(from.server) >= 1 + 2);
  await tab.page.evaluate(({ base, apikey }) => window.skiff.init(apikey, { baseUrl: base }).clearResumableUploads(),
    { base: server.url, apikey: server.apikey });
  mark = server.log().length;
  file = await seeded('clr', size, 12);
  r = await upload('clr', {});
  assert.ok(r.ok, r.error);
  assert.equal(resumes(mark), 0, 'nothing kept after clearResumableUploads()');
  assert.equal(starts(mark), 1);
  await assertWhole(r.res.handle, file);
});
