// End-to-end: uploads carried on after a page reload (Skiff's `resume`, on by default). In
// headless Chromium, Skiff's browser module uploads a file on a throttled uplink; the page is
// reloaded once some parts are in; the same file (same bytes, name, type and lastModified) given
// to `client.upload` again carries on: no new upload is started, the server's log shows every
// part stored once in all, and the file is whole.
//
//   1. regular: only the parts the server lacks are sent after the reload;
//   2. intelligent: the upload carries on through /multipart/resume, the file is whole;
//   3. a changed file (other bytes, same name, size and date) starts afresh, and its own upload
//      is what is kept from then on (cut by a reload too, it is carried on next time);
//   4. `resume: false` starts afresh, and clearResumableUploads() forgets what was kept;
//   5. the picker: the same file (from disk) picked again after a reload carries on, its row
//      says "Resuming" and its progress starts at the bytes the server already holds;
//   6. across a server restart (the process killed between the reload and the second upload),
//      regular and intelligent;
//   7. a part altered on its way, whose check the reload cut short, is not trusted: asked about
//      with its MD5 after the reload (`if_held`), found not held, and sent again;
//   8. an upload carried on is kept as it goes: after a second reload, the parts done since the
//      first are known as checked (none is asked about again), and every byte is stored once.
//
// Run: node --test tests/e2e/skiff-resume.test.mjs
// Needs Chromium, dist/ and the server binary (as the other e2e tests).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server.mjs';
import { startProxy } from './support/proxy.mjs';
import { launchBrowser, openPage, withUplink } from './support/browser.mjs';
import { ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { cleanUp, deadlineTest } from './support/diag.mjs';
import { events, installHarness, openPicker, waitEvent, waitRows } from './support/picker-page.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
const MODIFIED = 1_700_000_000_000;
let server;
let alter; // a proxy that can flip a byte of a PUT on its way (test 7)
let altered; // a second server, whose part URLs go through `alter`
let site;
let browser;
let tab;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ensureDist();
  alter = await startProxy({ name: 'alter' });
  [server, altered, site] = await Promise.all([
    startServer({ name: 'resume' }),
    startServer({ name: 'altered', extraArgs: ['--public-url', alter.url] }),
    startSkiffSite(),
  ]);
  alter.setTarget(altered.port);
  browser = await launchBrowser();
  tab = await openPage(browser, `${site.url}/`, () => [server.url, altered.url, alter.url]);
}, { timeout: 120_000 });

after(async () => {
  await cleanUp([() => browser?.close(), () => site?.stop(), () => server?.stop(), () => altered?.stop(), () => alter?.stop()]);
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
const starts = (from) => logged(from, /method=POST path=\/multipart\/start\}.*started processing/);
const resumes = (from) => logged(from, /method=POST path=\/multipart\/resume\}.*started processing/);

/**
 * Parts and chunks the server has stored since it started, and their bytes (its /metrics
 * counters: a PUT cut short by the reload counts nothing, one whose bytes were in counts even
 * if its answer never reached the page).
 */
async function stored(srv = server) {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  const n = (name, kind) => Number(text.match(new RegExp(`^${name}\\{kind="${kind}"\\} (\\d+)$`, 'm'))?.[1]);
  return {
    pieces: n('skiff_received_total', 'part') + n('skiff_received_total', 'chunk'),
    bytes: n('skiff_received_bytes_total', 'part') + n('skiff_received_bytes_total', 'chunk'),
  };
}

const seeded = (id, size, seed) => tab.page.evaluate(
  ([i, s, sd, m]) => window.skiffSeededFile(i, s, `${i}.bin`, 'application/octet-stream', sd, m), [id, size, seed, MODIFIED]);

/** `client.upload` of a kept file in the page to `srv`; its result (or the Error's message). */
const upload = (id, options, srv = server) => tab.page.evaluate(async ({ base, apikey, id, options }) => {
  try {
    const client = window.skiff.init(apikey, { baseUrl: base });
    return { ok: true, res: JSON.parse(JSON.stringify(await client.upload(window.skiffFiles[id], options))) };
  } catch (e) {
    return { ok: false, error: String(e && e.message) };
  }
}, { base: srv.url, apikey: srv.apikey, id, options });

/** The server's counters once they have stopped moving (a part whose bytes were all in when the page went is still being stored). */
async function settled() {
  let last = await stored();
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const now = await stored();
    if (now.bytes === last.bytes) return now;
    last = now;
  }
  return last;
}

/** Reloads the page once `pieces` parts or chunks more than `from` are stored. */
async function reloadAfter(from, pieces, srv = server) {
  for (let i = 0; i < 400 && (await stored(srv)).pieces - from.pieces < pieces; i++) await sleep(50);
  assert.ok((await stored(srv)).pieces - from.pieces >= pieces, 'the upload got far enough before the reload');
  await tab.page.reload();
}

/** Starts uploading `id` on a slow uplink and reloads the page once `pieces` are stored. */
async function reloadMidUpload(id, options, pieces, srv = server) {
  const from = await stored(srv);
  await withUplink(tab.page, 3 * MiB, async () => {
    const running = upload(id, options, srv).catch(() => null); // ends with the page
    await reloadAfter(from, pieces, srv);
    await running;
  });
  await tab.page.waitForFunction(() => window.skiff && window.skiffSeededFile);
}

async function assertWhole(handle, file, srv = server) {
  const body = Buffer.from(await (await fetch(`${srv.url}/${handle}`)).arrayBuffer());
  assert.equal(createHash('sha256').update(body).digest('hex'), file.sha256, 'the stored file is the one picked');
}

e2e('1. regular: after a reload only the missing parts are sent', 90_000, async () => {
  const size = 30 * MiB + 5; // six parts of 6 MiB (the last 5 B)
  await seeded('reg', size, 7);
  const s0 = await stored();
  await reloadMidUpload('reg', {}, 2);
  const mark = server.log().length;
  const s1 = await stored();
  const file = await seeded('reg', size, 7);
  const r = await upload('reg', {});
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 0, 'no new upload was started');
  assert.equal(resumes(mark), 1, 'the server was asked what it holds');
  const s2 = await stored();
  const [before, after] = [s1.pieces - s0.pieces, s2.pieces - s1.pieces];
  assert.ok(after < 6, `only the missing parts went again: ${after} of 6`);
  assert.equal(before + after, 6, `every part stored once in all (${before} before, ${after} after)`);
  assert.equal(s2.bytes - s0.bytes, size, `every byte stored once (${s1.bytes - s0.bytes} B before the reload)`);
  await assertWhole(r.res.handle, file);
});

e2e('2. intelligent: the upload carries on after a reload', 90_000, async () => {
  const size = 20 * MiB + 3;
  await seeded('fii', size, 8);
  const s0 = await stored();
  // Its three parts go in parallel, each a chunk of up to 8 MiB: once one is in, the other two
  // are half sent (waiting for two would leave the upload all but complete at the reload).
  await reloadMidUpload('fii', { intelligent: true }, 1);
  const mark = server.log().length;
  const s1 = await stored();
  const file = await seeded('fii', size, 8);
  const r = await upload('fii', { intelligent: true });
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 0, 'no new upload was started');
  assert.equal(resumes(mark), 1);
  const s2 = await stored();
  assert.ok(s1.bytes > s0.bytes, 'some chunks were stored before the reload');
  assert.equal(s2.bytes - s0.bytes, size,
    `only the missing chunks were sent again: every byte stored once (${s1.bytes - s0.bytes} B before the reload)`);
  await assertWhole(r.res.handle, file);
});

e2e('3. a changed file starts afresh', 120_000, async () => {
  // Six parts, three at a time, reloaded once two are in (as in 1): a file of two parts would
  // have both finish together, and the upload complete before the reload.
  const size = 30 * MiB + 5;
  await seeded('chg', size, 9);
  await reloadMidUpload('chg', {}, 2);
  let mark = server.log().length;
  await seeded('chg', size, 10); // same name, size and date; other bytes
  await reloadMidUpload('chg', {}, 2);
  assert.equal(starts(mark), 1, 'a new upload');
  assert.equal(resumes(mark), 0);
  // Kept under the same key as the first file's upload, in its place: carried on now.
  mark = server.log().length;
  const file = await seeded('chg', size, 10);
  const r = await upload('chg', {});
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 0, 'the changed file\'s own upload is carried on');
  assert.equal(resumes(mark), 1);
  await assertWhole(r.res.handle, file);
});

e2e('4. resume: false, and clearResumableUploads()', 120_000, async () => {
  const size = 30 * MiB + 5; // reloaded while it runs (see 3)
  await seeded('off', size, 11);
  await reloadMidUpload('off', {}, 2);
  let mark = server.log().length;
  let file = await seeded('off', size, 11);
  let r = await upload('off', { resume: false });
  assert.ok(r.ok, r.error);
  assert.equal(starts(mark), 1, 'resume: false starts afresh');

  await seeded('clr', size, 12);
  await reloadMidUpload('clr', {}, 2);
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

e2e('5. the picker: the same file picked again after a reload says "Resuming" and carries on', 90_000, async () => {
  // A file on disk, as a person would pick it twice: same bytes, name and date both times.
  const dir = mkdtempSync(join(tmpdir(), 'skiff-resume-'));
  try {
    const bytes = randomBytes(20 * MiB + 7);
    const path = join(dir, 'holiday.mov');
    writeFileSync(path, bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const config = { apikey: server.apikey, baseUrl: server.url, options: { displayMode: 'overlay' } };
    const pick = async () => {
      await installHarness(tab.page);
      await openPicker(tab.page, 'p', config);
      await tab.page.setInputFiles('.skiff-picker input.skiff-input', path);
      await waitRows(tab.page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the ready row');
      await tab.page.click('.skiff-picker .skiff-upload');
    };

    const s0 = await stored();
    await withUplink(tab.page, 3 * MiB, async () => {
      await pick();
      await reloadAfter(s0, 2);
    });
    await tab.page.waitForFunction(() => window.skiff);
    const mark = server.log().length;
    const s1 = await stored();

    await withUplink(tab.page, 3 * MiB, async () => {
      await pick();
      const [row] = await waitRows(tab.page, '.skiff-picker', '(r) => /^Resuming \\d+%$/.test(r[0]?.note ?? "")', 15_000,
        'the row saying "Resuming"');
      assert.equal(row.state, 'uploading');
      assert.equal(await tab.page.getAttribute('.skiff-picker li.skiff-file', 'data-resumed'), 'true');
      await waitEvent(tab.page, 'p', 'onUploadDone', 60_000);
    });
    assert.equal(starts(mark), 0, 'no new upload was started');
    assert.equal(resumes(mark), 1);
    const s2 = await stored();
    assert.equal(s2.bytes - s0.bytes, bytes.length, `every byte stored once (${s1.bytes - s0.bytes} B before the reload)`);
    const moved = (await events(tab.page, 'p')).filter((e) => e.name === 'onFileUploadProgress')
      .map((e) => e.args[1].totalBytes).filter((b) => b > 0);
    assert.ok(moved[0] >= s1.bytes - s0.bytes, `the progress starts at what the server holds: ${moved[0]} B first, ${s1.bytes - s0.bytes} B held`);
    const done = (await events(tab.page, 'p')).find((e) => e.name === 'onUploadDone').args[0];
    assert.equal(done.filesUploaded.length, 1);
    const body = Buffer.from(await (await fetch(`${server.url}/${done.filesUploaded[0].handle}`)).arrayBuffer());
    assert.equal(createHash('sha256').update(body).digest('hex'), sha256, 'the stored file is the one picked');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

e2e('6. across a server restart, regular and intelligent', 120_000, async () => {
  for (const [id, intelligent, seed] of [['rst-reg', false, 13], ['rst-fii', true, 14]]) {
    const size = 20 * MiB + 11;
    await seeded(id, size, seed);
    const s0 = await stored();
    await reloadMidUpload(id, { intelligent }, 1);
    const held = (await settled()).bytes - s0.bytes;
    await server.restart(); // killed: its counters start again from zero
    const mark = server.log().length;
    const file = await seeded(id, size, seed);
    const r = await upload(id, { intelligent });
    assert.ok(r.ok, r.error);
    assert.equal(starts(mark), 0, `${id}: no new upload was started`);
    assert.equal(resumes(mark), 1, id);
    assert.equal(held + (await stored()).bytes, size, `${id}: every byte stored once (${held} B before the restart)`);
    await assertWhole(r.res.handle, file);
  }
});

e2e('7. a part altered on its way, whose check the reload cut short, is sent again', 90_000, async () => {
  // Six parts (the last 5 B); the first PUT, sent before its MD5, gets a byte flipped. Its three
  // parts share the uplink and land together: at the reload the altered one is stored, and its
  // check has failed or not run, but it was not sent again yet (that takes two seconds more).
  const size = 30 * MiB + 5;
  await seeded('alt', size, 15);
  const s0 = await stored(altered);
  alter.configure({ alterPuts: 1 });
  try {
    await reloadMidUpload('alt', {}, 2, altered);
  } finally {
    alter.configure({ alterPuts: 0 });
  }
  tab.clearExchanges();
  const file = await seeded('alt', size, 15);
  const r = await upload('alt', {}, altered);
  assert.ok(r.ok, r.error);
  // Every part the server held but the page had not seen checked was asked about with its
  // MD5; the altered one was not held with the file's bytes.
  const asks = tab.exchanges.filter((e) => e.path === '/multipart/upload')
    .map((e) => ({ part: e.requestBody.part, ifHeld: e.requestBody.if_held === true, md5: !!e.requestBody.md5, held: e.responseBody?.held !== undefined }));
  const askedAbout = asks.filter((a) => a.ifHeld);
  assert.ok(askedAbout.every((a) => a.md5), `asked about with its MD5: ${JSON.stringify(asks)}`);
  assert.ok(askedAbout.some((a) => !a.held), `the altered part was found not held: ${JSON.stringify(asks)}`);
  const s2 = await stored(altered);
  assert.equal(s2.bytes - s0.bytes, size + 6 * MiB, 'every byte stored once, and the altered part twice');
  await assertWhole(r.res.handle, file, altered);
});

e2e('8. reloaded twice: the second carries on from where the first left it', 120_000, async () => {
  const size = 48 * MiB + 5; // nine parts (the last 5 B)
  await seeded('twice', size, 16);
  const s0 = await stored();
  await reloadMidUpload('twice', {}, 1);
  const s1 = await settled();
  // Carried on; reloaded again once two more parts are in and no part has landed for a second
  // (the next ones are seconds away on this uplink), so every part stored was checked.
  await seeded('twice', size, 16);
  await withUplink(tab.page, 3 * MiB, async () => {
    const running = upload('twice', {}).catch(() => null); // ends with the page
    for (let i = 0; i < 400 && (await stored()).pieces - s1.pieces < 2; i++) await sleep(50);
    assert.ok((await stored()).pieces - s1.pieces >= 2, 'two more parts were stored after the first reload');
    let last = await stored();
    for (let quiet = 0; quiet < 20;) {
      await sleep(50);
      const now = await stored();
      quiet = now.pieces === last.pieces ? quiet + 1 : 0;
      last = now;
    }
    await tab.page.reload();
    await running;
  });
  await tab.page.waitForFunction(() => window.skiff && window.skiffSeededFile);
  tab.clearExchanges();
  const file = await seeded('twice', size, 16);
  const r = await upload('twice', {});
  assert.ok(r.ok, r.error);
  // The record kept after the first reload was written on as its parts were done: none of them
  // is taken for one whose check went with the page.
  const asked = tab.exchanges.filter((e) => e.path === '/multipart/upload' && e.requestBody?.if_held === true)
    .map((e) => e.requestBody.part);
  assert.deepEqual(asked, [], 'no part done after the first reload is asked about again');
  assert.equal((await stored()).bytes - s0.bytes, size, 'every byte stored once');
  await assertWhole(r.res.handle, file);
});
