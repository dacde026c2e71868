// End-to-end: Skiff's own picker (`init(apikey, {baseUrl}).picker(options)` from dist/index.js) in
// headless Chromium against real skiff-servers: what it uploads and how. Each test opens its own
// tab (support/picker-suite.mjs has the setup shared with picker-modes.test.mjs and
// picker-a11y.test.mjs).
//
//   3. URL import (server with --allow-private-urls, a local HTTP server), a bad link, a 404 link,
//      links through acceptFn / onFileSelected;
//   4. restrictions: accept, maxSize, maxFiles, minFiles, acceptFn, onFileSelected (veto, rename);
//   5. callbacks in order with uploadConfig.tags (strings and functions), tag functions that fail,
//      uploadInBackground, startUploadingWhenMaxFilesReached; a big file picked from disk, whose
//      parts grow on a fast link unless `growParts: false` or the app hands it to `crop(files)`;
//   6. pause / resume / cancel per row on 24 MiB uploads behind a throttling proxy, picker.cancel(),
//      allowManualRetry + .skiff-retry (a tag function failing once; a server unreachable at first),
//      four files at once within the browser's six connections.
//
// Run: node --test tests/e2e/picker-upload.test.mjs   (or node --test tests/e2e/)
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ (scripts/build-wasm.sh) and the server binary
// ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { asksOf, grownAt, partSizes, shownMiB } from './support/parts.mjs';
import { startProxy } from './support/proxy.mjs';
import {
  dropFiles, events, makeFiles, openPicker, png, rows, waitEvent, waitFor, waitRows,
} from './support/picker-page.mjs';
import {
  MiB, addContainers, assertStored, cfg, e2e, gate, inputFile, named, pickerSuite, proxied, remote, server, sleep, text,
} from './support/picker-suite.mjs';

const REMOTE_BODY = randomBytes(150_001);

pickerSuite({ remoteFiles: { '/files/remote.bin': { body: REMOTE_BODY, type: 'application/octet-stream' } } });

async function metadata(base, handle) {
  const res = await fetch(`${base}/${handle}/metadata?filename=true&size=true&mimetype=true&uploadTags=true`);
  return res.json();
}

// ---------------------------------------------------------------------------------------------
// 3. URL import.

e2e('3a. URL import: a good link is stored by the server, a bad link is refused, a 404 link fails with a reason', 40_000, async ({ page }, t) => {
  await addContainers(page, ['box']);
  // Without onFileSelected (see 3b for links with app checks).
  await openPicker(page, 'url', cfg({ displayMode: 'inline', container: '#box', maxFiles: 5 }, { unrecorded: ['onFileSelected'] }));
  await page.click('#box button.skiff-tab[data-source=url]');
  assert.deepEqual(await page.evaluate(() => Array.from(document.querySelectorAll('#box .skiff-tab'), (b) => `${b.dataset.source}:${b.getAttribute('aria-pressed')}`)),
    ['local_file_system:false', 'url:true']);
  await page.waitForSelector('#box form.skiff-url input.skiff-url-input', { state: 'visible' });

  await page.fill('#box input.skiff-url-input', 'not a link');
  await page.click('#box button.skiff-url-add');
  await page.waitForSelector('#box .skiff-error', { state: 'visible', timeout: 5_000 });
  assert.ok((await page.textContent('#box .skiff-error')).length > 0, 'the error says something');
  assert.equal(await page.getAttribute('#box input.skiff-url-input', 'aria-invalid'), 'true');
  assert.deepEqual(await rows(page, '#box'), [], 'a bad link adds no file');

  const good = `${remote.url}/files/remote.bin`;
  const missing = `${remote.url}/files/missing.bin`;
  await page.fill('#box input.skiff-url-input', good);
  await page.press('#box input.skiff-url-input', 'Enter');
  await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the link row');
  assert.equal(await page.locator('#box .skiff-error').count(), 0, 'the error goes away with a good link');
  assert.equal(await page.inputValue('#box input.skiff-url-input'), '', 'the field is emptied');
  await page.fill('#box input.skiff-url-input', missing);
  await page.click('#box button.skiff-url-add');
  await waitRows(page, '#box', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, 'two link rows');

  await page.click('#box .skiff-upload');
  const ev = await waitEvent(page, 'url', 'onUploadDone', 25_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.equal(done.filesUploaded.length, 1, `filesUploaded: ${JSON.stringify(done.filesUploaded)}`);
  const res = done.filesUploaded[0];
  assert.equal(res.source, 'url', 'result.source');
  assert.equal(res.originalPath, good, 'result.originalPath is the link');
  assert.equal(typeof res.handle, 'string');
  await assertStored(server.url, res.handle, REMOTE_BODY, 'the imported file');
  assert.ok(remote.requests.includes('GET /files/remote.bin'), `the server fetched the link: ${remote.requests}`);

  assert.equal(done.filesFailed.length, 1, `filesFailed: ${JSON.stringify(done.filesFailed)}`);
  assert.equal(done.filesFailed[0].originalPath, missing);
  const failedEv = ev.find((e) => e.name === 'onFileUploadFailed');
  assert.ok(failedEv, 'onFileUploadFailed for the 404 link');
  assert.match(failedEv.args[1].error, /404|not found/i, `the error names the failure: ${failedEv.args[1].error}`);
  const list = await rows(page, '#box');
  const bad = list.find((r) => r.state === 'failed');
  assert.ok(bad, `a failed row: ${JSON.stringify(list)}`);
  t.diagnostic(`404 link: ${bad?.note}`);
  assert.equal(bad.note, 'Failed: The server could not download the file from this link.', 'the row says why, for people');
  assert.ok(await page.isVisible('#box li.skiff-file[data-state=failed] .skiff-file-note'), 'the reason is visible');
  assert.equal(list.find((r) => r.state === 'done')?.name, 'remote.bin');
});

e2e('3b. a link goes through onFileSelected / acceptFn like a picked file (rename, veto), then uploads', 30_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 'uc', cfg({ displayMode: 'inline', container: '#box', maxFiles: 5, fromSources: ['url'] }, {
    fns: {
      acceptFn: "(file) => file.originalPath.includes('veto') ? Promise.reject(new Error('no vetoed links')) : undefined",
      onFileSelected: "(file) => file.source === 'url' && file.filename === 'remote.bin' ? { ...file, name: 'from-link.bin' } : undefined",
    },
  }));
  await page.fill('#box input.skiff-url-input', `${remote.url}/files/remote.bin`);
  await page.click('#box button.skiff-url-add');
  await page.fill('#box input.skiff-url-input', `${remote.url}/files/veto.bin`);
  await page.click('#box button.skiff-url-add');
  const list = await waitRows(page, '#box', '(r) => r.length === 2 && r.every((x) => x.state !== "checking")', 8_000,
    'the links to leave "checking" (the app checks must run for links too)');
  assert.deepEqual(list.map((r) => `${r.name}:${r.state}`), ['from-link.bin:ready', 'veto.bin:refused']);
  assert.equal(list[1].note, 'Not accepted: no vetoed links');
  const sel = (await events(page, 'uc')).find((e) => e.name === 'onFileSelected');
  assert.equal(sel?.args[0].source, 'url', 'onFileSelected gets the link with source "url"');
  await page.click('#box .skiff-upload');
  const ev = await waitEvent(page, 'uc', 'onUploadDone', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.equal(done.filesUploaded.length, 1);
  assert.equal(done.filesUploaded[0].source, 'url');
  await assertStored(server.url, done.filesUploaded[0].handle, REMOTE_BODY, 'the imported file');
});

// ---------------------------------------------------------------------------------------------
// 4. Restrictions.

e2e('4a. accept, maxSize, maxFiles, minFiles: refusals shown next to each file, Upload gated', 40_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 'r', cfg({ displayMode: 'inline', container: '#box', accept: ['image/*', '.pdf'], maxSize: 1000, maxFiles: 3, minFiles: 2 }));
  assert.equal(await page.getAttribute('#box input.skiff-input', 'accept'), 'image/*, .pdf', 'the input gets the accept list');
  const small = png(8, 8);
  assert.ok(small.length < 1000);
  const pdf = (n) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(n - 9, 0x20)]);
  const add = (files) => page.setInputFiles('#box input.skiff-input', files);
  const settled = (n) => waitRows(page, '#box', `(r) => r.length === ${n} && r.every((x) => x.state !== "checking")`, 10_000, `${n} rows`);

  await add([inputFile('one.png', 'image/png', small)]);
  await settled(1);
  assert.ok(await page.isDisabled('#box .skiff-upload'), 'Upload disabled below minFiles');
  assert.equal(await page.textContent('#box .skiff-count'), 'Pick at least 2 files');

  await add([text('notes.txt', 'not a picture'), inputFile('big.pdf', 'application/pdf', pdf(2000))]);
  let list = await settled(3);
  assert.equal(named(list, 'notes.txt').state, 'refused');
  assert.match(named(list, 'notes.txt').note, /^Not accepted: .*not allowed.*image\/\*, \.pdf/);
  assert.equal(named(list, 'big.pdf').state, 'refused');
  assert.match(named(list, 'big.pdf').note, /^Not accepted: .*larger than/);
  assert.ok(await page.isDisabled('#box .skiff-upload'), 'refused files do not count towards minFiles');
  assert.equal(await page.textContent('#box .skiff-count'), 'Pick at least 2 files');

  await add([inputFile('doc.pdf', 'application/pdf', pdf(500))]);
  list = await settled(4);
  assert.equal(named(list, 'doc.pdf').state, 'ready');
  assert.ok(await page.isEnabled('#box .skiff-upload'), 'Upload enabled at minFiles');
  assert.equal(await page.textContent('#box .skiff-count'), '2 of 3 files');

  await add([inputFile('two.png', 'image/png', small), inputFile('three.png', 'image/png', small)]);
  list = await settled(6);
  assert.equal(named(list, 'two.png').state, 'ready');
  assert.equal(named(list, 'three.png').state, 'refused');
  assert.match(named(list, 'three.png').note, /^Not accepted: .*at most 3 files/);
  assert.equal(await page.textContent('#box .skiff-count'), '3 of 3 files');
  for (const r of list.filter((x) => x.state === 'refused')) {
    assert.ok(await page.locator('#box li.skiff-file', { hasText: r.name }).locator('.skiff-file-note').isVisible(), `the reason of ${r.name} is visible`);
  }
  // A refused file can be removed; a ready one too (and then minFiles counts again).
  await page.locator('#box li.skiff-file', { hasText: 'notes.txt' }).locator('.skiff-remove').click();
  await settled(5);
  assert.equal(named(await rows(page, '#box'), 'notes.txt'), undefined);

  await page.click('#box .skiff-upload');
  const ev = await waitEvent(page, 'r', 'onUploadDone', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesUploaded.map((f) => f.filename).sort(), ['doc.pdf', 'one.png', 'two.png']);
  assert.deepEqual(done.filesFailed, [], 'refused files are neither uploaded nor failed');
});

e2e('4b. acceptFn and onFileSelected: vetoes with their reasons, a rename that reaches the server', 40_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 'a', cfg({ displayMode: 'inline', container: '#box', maxFiles: 6, accept: ['.txt'] }, {
    fns: {
      acceptFn: `(file, opts) => {
        window.acceptSeen = { accept: opts.accept, magic: typeof opts.mimeFromMagicBytes, ext: opts.mimeFromExtension('a.pdf'), file: file.originalFile instanceof File };
        return file.filename.startsWith('veto') ? Promise.reject(new Error('acceptFn says no to ' + file.filename)) : Promise.resolve();
      }`,
      onFileSelected: `async (file) => {
        if (file.filename.startsWith('bad')) throw new Error('onFileSelected refuses ' + file.filename);
        if (file.filename === 'rename-me.txt') return { ...file, name: 'renamed.txt' };
      }`,
    },
  }));
  await page.setInputFiles('#box input.skiff-input', [
    text('veto.txt', 'v'), text('bad.txt', 'b'), text('rename-me.txt', 'rename these bytes'), text('plain.txt', 'plain bytes'),
  ]);
  const list = await waitRows(page, '#box', '(r) => r.length === 4 && r.every((x) => x.state !== "checking")', 10_000, '4 checked rows');
  assert.deepEqual(list.map((r) => `${r.name}:${r.state}`), ['veto.txt:refused', 'bad.txt:refused', 'renamed.txt:ready', 'plain.txt:ready']);
  assert.equal(named(list, 'veto.txt').note, 'Not accepted: acceptFn says no to veto.txt');
  assert.equal(named(list, 'bad.txt').note, 'Not accepted: onFileSelected refuses bad.txt');
  assert.deepEqual(await page.evaluate(() => window.acceptSeen), { accept: ['.txt'], magic: 'function', ext: 'application/pdf', file: true },
    'acceptFn gets the file (originalFile: the File) and the options');
  const selected = (await events(page, 'a')).filter((e) => e.name === 'onFileSelected');
  assert.deepEqual(selected.map((e) => e.args[0].filename), ['bad.txt', 'rename-me.txt', 'plain.txt'],
    'onFileSelected runs for each file acceptFn let through');

  await page.click('#box .skiff-upload');
  const ev = await waitEvent(page, 'a', 'onUploadDone', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesUploaded.map((f) => f.filename), ['renamed.txt', 'plain.txt']);
  const renamed = done.filesUploaded[0];
  await assertStored(server.url, renamed.handle, Buffer.from('rename these bytes'), 'renamed.txt');
  const meta = await metadata(server.url, renamed.handle);
  assert.equal(meta.filename, 'renamed.txt', `stored filename: ${JSON.stringify(meta)}`);
});

// ---------------------------------------------------------------------------------------------
// 5. Callbacks and tags.

e2e('5a. callbacks in order, with uploadConfig.tags (a string and a function of the file)', 40_000, async ({ page }) => {
  await openPicker(page, 'cb', cfg({ displayMode: 'overlay', maxFiles: 3, uploadConfig: { tags: { static: 'x' }, progressInterval: 50 } }, {
    fns: { 'uploadConfig.tags.name': "(file) => 'n-' + file.filename" },
  }));
  const made = await makeFiles(page, [
    { id: 'a', name: 'alpha.bin', size: 13 * MiB + 5 },
    { id: 'b', name: 'beta.txt', type: 'text/plain', text: 'beta bytes' },
  ]);
  await dropFiles(page, '.skiff-picker .skiff-dialog', ['a', 'b']);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, '2 ready rows');
  await page.click('.skiff-picker .skiff-upload');
  const ev = await waitEvent(page, 'cb', 'onClose', 30_000);
  const names = ev.map((e) => e.name);
  const idx = (name, pred = () => true) => ev.findIndex((e) => e.name === name && pred(e));
  const forFile = (f) => (e) => e.args[0]?.filename === f;

  assert.equal(names[0], 'onOpen', `order: ${names.join(', ')}`);
  assert.equal(names.at(-1), 'onClose', 'onClose last');
  assert.equal(names.at(-2), 'onUploadDone', 'onUploadDone just before onClose (the overlay closes itself)');
  assert.deepEqual(ev.filter((e) => e.name === 'onFileSelected').map((e) => e.args[0].filename), ['alpha.bin', 'beta.txt']);
  const started = idx('onUploadStarted');
  assert.ok(started > idx('onFileSelected', forFile('beta.txt')), 'onUploadStarted after every onFileSelected');
  assert.deepEqual(ev[started].args[0].map((f) => f.filename), ['alpha.bin', 'beta.txt'], 'onUploadStarted(files)');
  assert.equal(names.filter((n) => n === 'onUploadStarted').length, 1);
  assert.ok(!names.includes('onFileUploadFailed') && !names.includes('onCancel'), `no failure: ${names.join(', ')}`);

  const expected = { 'alpha.bin': made[0], 'beta.txt': made[1] };
  for (const f of ['alpha.bin', 'beta.txt']) {
    const s = idx('onFileUploadStarted', forFile(f));
    const fin = idx('onFileUploadFinished', forFile(f));
    assert.ok(s > started, `${f}: onFileUploadStarted after onUploadStarted`);
    assert.deepEqual(ev[s].args[1], { token: { pause: 'function', resume: 'function', cancel: 'function' } }, `${f}: the token`);
    const progress = ev.map((e, i) => [e, i]).filter(([e]) => e.name === 'onFileUploadProgress' && forFile(f)(e));
    assert.ok(progress.length >= 1, `${f}: onFileUploadProgress called`);
    assert.ok(progress.every(([, i]) => i > s && i < fin), `${f}: progress between started and finished`);
    let prev = -1;
    for (const [e] of progress) {
      assert.ok(e.args[1].totalBytes >= prev, `${f}: progress goes back: ${JSON.stringify(progress.map(([x]) => x.args[1]))}`);
      prev = e.args[1].totalBytes;
    }
    assert.deepEqual(progress.at(-1)[0].args[1], { totalPercent: 100, totalBytes: expected[f].size }, `${f}: last progress`);
    const file = ev[fin].args[0];
    assert.equal(typeof file.handle, 'string', `${f}: handle in onFileUploadFinished`);
    assert.equal(file.url, `${server.url}/${file.handle}`);
    assert.equal(file.status, 'Stored');
    assert.deepEqual(file.uploadTags, { static: 'x', name: `n-${f}` }, `${f}: uploadTags`);
    assert.ok(fin < idx('onUploadDone'), `${f}: finished before onUploadDone`);
  }
  const done = ev[idx('onUploadDone')].args[0];
  assert.deepEqual(done.filesFailed, []);
  assert.deepEqual(done.filesUploaded.map((f) => f.filename), ['alpha.bin', 'beta.txt']);
  for (const f of done.filesUploaded) {
    assert.deepEqual(f.uploadTags, { static: 'x', name: `n-${f.filename}` }, `${f.filename}: uploadTags in onUploadDone`);
    assert.equal(f.source, 'local_file_system');
    await assertStored(server.url, f.handle, expected[f.filename], f.filename);
    const meta = await metadata(server.url, f.handle);
    assert.deepEqual(meta.upload_tags ?? meta.uploadTags, { static: 'x', name: `n-${f.filename}` }, `tags stored on the server: ${JSON.stringify(meta)}`);
  }
  assert.equal(await page.locator('.skiff-picker').count(), 0, 'the overlay is gone');
});

e2e('5b. a tag function returning a non-string, or too many tags, fails that file with a readable reason', 40_000, async ({ page }) => {
  await addContainers(page, ['box1', 'box2']);
  await openPicker(page, 't1', cfg({ displayMode: 'inline', container: '#box1', maxFiles: 3, uploadConfig: { tags: { static: 'x' } } }, {
    fns: { 'uploadConfig.tags.name': "(file) => file.filename === 'num.txt' ? 42 : 'ok'" },
  }));
  const many = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `v${i}`]));
  await openPicker(page, 't2', cfg({ displayMode: 'inline', container: '#box2', maxFiles: 3, uploadConfig: { tags: many } }, {
    fns: { 'uploadConfig.tags.eleventh': '() => "one too many"' },
  }));
  await page.setInputFiles('#box1 input.skiff-input', [text('num.txt', 'n'), text('fine.txt', 'fine')]);
  await page.setInputFiles('#box2 input.skiff-input', [text('crowded.txt', 'c')]);
  await waitRows(page, '#box1', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, 'box1 rows');
  await waitRows(page, '#box2', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'box2 row');
  await page.click('#box1 .skiff-upload');
  await page.click('#box2 .skiff-upload');
  const ev1 = await waitEvent(page, 't1', 'onUploadDone', 20_000);
  const ev2 = await waitEvent(page, 't2', 'onUploadDone', 20_000);

  const done1 = ev1.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done1.filesUploaded.map((f) => [f.filename, f.uploadTags]), [['fine.txt', { static: 'x', name: 'ok' }]]);
  assert.deepEqual(done1.filesFailed.map((f) => f.filename), ['num.txt']);
  const fail1 = ev1.find((e) => e.name === 'onFileUploadFailed');
  assert.match(fail1?.args[1]?.error ?? '', /tag.*name.*string|string.*tag/i, `onFileUploadFailed error: ${JSON.stringify(fail1)}`);
  const num = named(await rows(page, '#box1'), 'num.txt');
  assert.equal(num.state, 'failed');
  assert.equal(num.note, "Failed: This app's upload settings were not accepted.", 'the row says why, for people (the details went to the callback)');

  const done2 = ev2.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done2.filesUploaded, []);
  assert.deepEqual(done2.filesFailed.map((f) => f.filename), ['crowded.txt']);
  const crowded = named(await rows(page, '#box2'), 'crowded.txt');
  assert.equal(crowded.state, 'failed');
  assert.equal(crowded.note, "Failed: This app's upload settings were not accepted.", 'the row says why, for people');
  const fail2 = ev2.find((e) => e.name === 'onFileUploadFailed');
  assert.match(fail2?.args[1]?.error ?? '', /tags.*10|10.*tags/i, `the callback's error names the limit: ${JSON.stringify(fail2)}`);
});

e2e('5c. uploadInBackground uploads on pick; startUploadingWhenMaxFilesReached starts at maxFiles', 30_000, async ({ page }) => {
  await addContainers(page, ['bg', 'mx'], 'width:420px;height:420px;margin:4px;display:inline-block;vertical-align:top');
  await openPicker(page, 'bg', cfg({ displayMode: 'inline', container: '#bg', maxFiles: 3, uploadInBackground: true }));
  await openPicker(page, 'mx', cfg({ displayMode: 'inline', container: '#mx', maxFiles: 2, startUploadingWhenMaxFilesReached: true }));
  await page.setInputFiles('#bg input.skiff-input', [text('bg.txt', 'background')]);
  const evBg = await waitEvent(page, 'bg', 'onFileUploadFinished', 10_000);
  assert.ok(!evBg.some((e) => e.name === 'onUploadDone'), 'no onUploadDone before the user presses Upload');
  await waitRows(page, '#bg', '(r) => r.length === 1 && r[0].state === "done"', 5_000, 'the background upload done');
  assert.ok(await page.isEnabled('#bg .skiff-upload'), 'Upload can be pressed to finish');
  await page.click('#bg .skiff-upload');
  const done = (await waitEvent(page, 'bg', 'onUploadDone', 5_000)).find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesUploaded.map((f) => f.filename), ['bg.txt']);

  await page.setInputFiles('#mx input.skiff-input', [text('m1.txt', 'one')]);
  await waitRows(page, '#mx', '(r) => r.length === 1 && r[0].state === "ready"', 5_000, 'one ready row');
  await page.setInputFiles('#mx input.skiff-input', [text('m2.txt', 'two')]);
  const evMx = await waitEvent(page, 'mx', 'onUploadDone', 10_000);
  assert.deepEqual(evMx.find((e) => e.name === 'onUploadDone').args[0].filesUploaded.map((f) => f.filename), ['m1.txt', 'm2.txt']);
  // With one of two files nothing started: the one start comes after the second file was picked.
  const order = evMx.filter((e) => e.name === 'onUploadStarted' || e.name === 'onFileSelected')
    .map((e) => (e.name === 'onFileSelected' ? e.args[0].filename : e.name));
  assert.deepEqual(order, ['m1.txt', 'm2.txt', 'onUploadStarted'], 'one of two files: not started');
});

// A file on disk, picked with the file button (Playwright hands Chromium its path, as a person's
// pick would), big enough that its tail may be cut again into bigger parts.
const DISK_SIZE = 96 * MiB + 7;
let diskDir;
let diskBody;
function diskFile() {
  if (!diskDir) {
    diskDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-disk-'));
    diskBody = randomBytes(DISK_SIZE);
    writeFileSync(join(diskDir, 'on-disk.bin'), diskBody);
  }
  return { path: join(diskDir, 'on-disk.bin'), body: diskBody };
}
after(() => diskDir && rmSync(diskDir, { recursive: true, force: true }));

/**
 * Uploads the file on disk through a new picker with `uploadConfig` and checks the stored bytes.
 * `via`: 'button', the user picks it with the picker's file button (inline picker); 'app', the
 * app picked it with an input of its own and hands it to `crop(files)` (overlay picker). Returns
 * its part sizes and how long each of its first three PUTs took (the evidence the uploader grows
 * parts on), in ms, as the browser timed them.
 */
async function pickFromDisk(page, id, uploadConfig, via = 'button') {
  const { path, body } = diskFile();
  // Start's and the upload calls, in the order they answered (support/parts.mjs asksOf).
  const exchanges = [];
  const puts = [];
  page.on('response', async (r) => {
    const path = new URL(r.url()).pathname;
    if (r.request().method() !== 'POST' || !['/multipart/start', '/multipart/upload'].includes(path)) return;
    const e = { path, status: r.status(), requestBody: r.request().postDataJSON() };
    exchanges.push(e);
    e.responseBody = await r.json().catch(() => null);
  });
  page.on('requestfinished', (r) => {
    if (r.method() === 'PUT') puts.push(r.timing().responseEnd);
  });
  let scope = `#${id}`;
  if (via === 'button') {
    await addContainers(page, [id]);
    await openPicker(page, id, cfg({ displayMode: 'inline', container: scope, uploadConfig }));
    await page.setInputFiles(`${scope} input.skiff-input`, path);
  } else {
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<input type="file" id="app-input">'));
    await page.setInputFiles('#app-input', path);
    await page.evaluate(({ id, c }) => window.pk.make(id, c).crop([document.querySelector('#app-input').files[0]]),
      { id, c: cfg({ displayMode: 'overlay', uploadConfig }) });
    scope = '.skiff-picker[data-mode=overlay]';
  }
  await waitRows(page, scope, '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the picked file ready');
  await page.click(`${scope} .skiff-upload`);
  const ev = await waitEvent(page, id, 'onUploadDone', 90_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesFailed, [], JSON.stringify(done.filesFailed));
  assert.equal(done.filesUploaded.length, 1);
  await assertStored(server.url, done.filesUploaded[0].handle, body, 'the file picked from disk');
  return { sizes: partSizes(asksOf(exchanges), body.length), firstPuts: puts.slice(0, 3) };
}

e2e('5d. a big file picked from the device: its parts grow on a fast link unless growParts is false; not one the app hands to crop(files); bytes intact', 200_000, async ({ page }, t) => {
  const grow = await pickFromDisk(page, 'grow', {});
  t.diagnostic(`growParts unset: parts (MiB) ${shownMiB(grow.sizes)}; first PUTs ${grow.firstPuts.map(Math.round).join(', ')} ms`);
  // The uploader grows parts when even the slowest of its first three PUTs shows that a part
  // twice as big would take at most a second: a 6 MiB PUT within 500 ms. Where the browser saw
  // them clearly faster, the parts must have grown; on a loaded machine they may not, and then
  // only the layout is checked.
  if (grow.firstPuts.length === 3 && Math.max(...grow.firstPuts) < 300) {
    assert.ok(grownAt(grow.sizes) >= 0, `a fast link, yet no part grew: ${shownMiB(grow.sizes)}`);
  }
  const kept = await pickFromDisk(page, 'kept', { growParts: false });
  t.diagnostic(`growParts false: parts (MiB) ${shownMiB(kept.sizes)}`);
  assert.equal(grownAt(kept.sizes), -1, 'growParts: false keeps every part at 6 MiB');
  // The app's files may be Blobs it holds in memory (crates/engine/src/grow.rs): they keep their
  // parts unless the app sets growParts (this one is on disk, but the picker cannot know that).
  const app = await pickFromDisk(page, 'app', {}, 'app');
  t.diagnostic(`crop(files), growParts unset: parts (MiB) ${shownMiB(app.sizes)}`);
  assert.equal(grownAt(app.sizes), -1, 'a file from the app keeps every part at 6 MiB');
});

// ---------------------------------------------------------------------------------------------
// 6. Pause / resume / cancel per file, picker.cancel(), manual retry.

const BIG = 24 * MiB + 11;
const row = (page, scope, name) => page.locator(`${scope} li.skiff-file`, { has: page.locator('.skiff-file-name', { hasText: name }) });

/**
 * After a pause or cancel: waits until every request body the gate was still forwarding has its
 * connection closed (the browser aborted it; bytes the browser had already handed to the kernel's
 * socket buffers drain first, at the throttled rate), then counts what goes up during `ms`.
 */
async function quiet(ms, settleMs = 6000) {
  const deadline = Date.now() + settleMs;
  const open = () => gate.requests.filter((r) => !r.bodyDone && gate.connections.find((c) => c.id === r.conn)?.closedAt === null);
  while (open().length && Date.now() < deadline) await sleep(25);
  const unfinished = open().map((r) => `${r.method} ${r.path} ${r.forwarded}/${r.contentLength}`);
  assert.deepEqual(unfinished, [], `request bodies still going up ${settleMs} ms after pause / cancel (not aborted)`);
  const from = gate.now();
  const bytes = gate.upBytes();
  await sleep(ms);
  return { bytes: gate.upBytes() - bytes, requests: gate.requestsSince(from).map((r) => `${r.method} ${r.path}`) };
}

e2e('6a. row buttons on 24 MiB uploads behind a throttled link: cancel one, pause and resume the other', 60_000, async ({ page }, t) => {
  await addContainers(page, ['box']);
  gate.configure({ rate: 12_000_000 });
  await openPicker(page, 'pr', cfg({ displayMode: 'inline', container: '#box', maxFiles: 2,
    uploadConfig: { partSize: 5 * MiB, concurrency: 2, progressInterval: 50 } }, { via: 'gate' }));
  const [keep] = await makeFiles(page, [{ id: 'k', name: 'keep.bin', size: BIG }, { id: 'd', name: 'drop.bin', size: BIG }]);
  await dropFiles(page, '#box .skiff-dialog', ['k', 'd']);
  await waitRows(page, '#box', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, 'two ready rows');
  await page.click('#box .skiff-upload');
  await waitRows(page, '#box', '(r) => r.every((x) => x.state === "uploading")', 10_000, 'both uploading');

  await row(page, '#box', 'drop.bin').locator('.skiff-cancel').click();
  let list = await waitRows(page, '#box', '(r) => r.find((x) => x.name === "drop.bin").state === "cancelled"', 10_000, 'drop.bin cancelled');
  assert.deepEqual(named(list, 'drop.bin').buttons, [], 'a cancelled row has no buttons');
  const cancelEv = (await waitEvent(page, 'pr', 'onFileUploadCancel')).filter((e) => e.name === 'onFileUploadCancel');
  assert.deepEqual(cancelEv.map((e) => e.args[0].filename), ['drop.bin'], 'onFileUploadCancel(drop.bin)');

  await waitRows(page, '#box', '(r) => { const k = r.find((x) => x.name === "keep.bin"); return k.state === "uploading" && /Uploading [1-9]/.test(k.note); }',
    20_000, 'keep.bin past 0%');
  await row(page, '#box', 'keep.bin').locator('.skiff-pause').click();
  list = await waitRows(page, '#box', '(r) => r.find((x) => x.name === "keep.bin").state === "paused"', 5_000, 'keep.bin paused');
  assert.match(named(list, 'keep.bin').note, /^Paused at \d+%$/);
  assert.deepEqual(named(list, 'keep.bin').buttons, ['skiff-resume', 'skiff-cancel']);
  const q = await quiet(1000);
  t.diagnostic(`while paused: ${q.bytes} bytes, requests ${JSON.stringify(q.requests)}`);
  assert.deepEqual(q.requests, [], 'no request while paused');
  assert.ok(q.bytes < 64 * 1024, `${q.bytes} bytes went up while paused`);
  assert.equal(named(await rows(page, '#box'), 'keep.bin').note, named(list, 'keep.bin').note, 'the paused row does not move');

  const resumeAt = gate.now();
  await row(page, '#box', 'keep.bin').locator('.skiff-resume').click();
  await waitRows(page, '#box', '(r) => r.find((x) => x.name === "keep.bin").state !== "paused"', 5_000, 'keep.bin resumed');
  const ev = await waitEvent(page, 'pr', 'onUploadDone', 40_000);
  assert.ok(gate.requestsSince(resumeAt).some((r) => r.method === 'PUT'), 'parts went up after resume');
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesUploaded.map((f) => f.filename), ['keep.bin']);
  assert.deepEqual(done.filesFailed, [], 'a cancelled file is not a failure');
  await assertStored(proxied.url, done.filesUploaded[0].handle, keep, 'keep.bin');
  assert.deepEqual((await rows(page, '#box')).map((r) => `${r.name}:${r.state}`), ['keep.bin:done', 'drop.bin:cancelled']);
  const names = ev.map((e) => e.name);
  assert.ok(!names.includes('onFileUploadFailed'), `no failure: ${names.join(', ')}`);
});

e2e('6b. picker.cancel() stops the running upload, calls onCancel, closes', 40_000, async ({ page }) => {
  gate.configure({ rate: 4_000_000 });
  await openPicker(page, 'pc', cfg({ displayMode: 'overlay', maxFiles: 2, uploadConfig: { partSize: 5 * MiB } }, { via: 'gate' }));
  await makeFiles(page, [{ id: 'x', name: 'abandoned.bin', size: BIG }]);
  await dropFiles(page, '.skiff-picker .skiff-dialog', ['x']);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'a ready row');
  await page.click('.skiff-picker .skiff-upload');
  await waitRows(page, '.skiff-picker', '(r) => r[0].state === "uploading"', 10_000, 'uploading');
  await sleep(300);
  await page.evaluate(() => window.pk.pickers.pc.cancel());
  const ev = await waitEvent(page, 'pc', 'onCancel');
  const cancel = ev.find((e) => e.name === 'onCancel');
  assert.deepEqual(cancel.args[0], { filesUploaded: [], filesFailed: [] }, 'onCancel(PickerResponse)');
  await waitEvent(page, 'pc', 'onClose');
  await waitFor(page, () => document.querySelectorAll('.skiff-picker').length === 0, null, 5_000, 'the overlay to go');
  const q = await quiet(1000);
  assert.ok(q.bytes < 64 * 1024, `${q.bytes} bytes went up after cancel()`);
  assert.deepEqual(q.requests, [], 'no request after cancel()');
  const names = (await events(page, 'pc')).map((e) => e.name);
  assert.ok(!names.includes('onUploadDone'), `no onUploadDone after cancel(): ${names.join(', ')}`);
  assert.ok(!names.includes('onFileUploadFailed'), `a cancel is not a failure: ${names.join(', ')}`);
});

e2e('6c. allowManualRetry: a failed file stays with a Retry button that uploads it (tag function failing once)', 30_000, async ({ page }) => {
  await openPicker(page, 'rt', cfg({ displayMode: 'overlay', maxFiles: 2, allowManualRetry: true }, {
    fns: { 'uploadConfig.tags.try': "() => { window.tagCalls = (window.tagCalls ?? 0) + 1; if (window.tagCalls === 1) throw new Error('first try fails on purpose'); return 'second'; }" },
  }));
  await page.setInputFiles('.skiff-picker input.skiff-input', [text('retry.txt', 'retry bytes')]);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'a ready row');
  await page.click('.skiff-picker .skiff-upload');
  const ev1 = await waitEvent(page, 'rt', 'onUploadDone');
  assert.deepEqual(ev1.find((e) => e.name === 'onUploadDone').args[0].filesFailed.map((f) => f.filename), ['retry.txt']);
  const failed = await waitRows(page, '.skiff-picker', '(r) => r[0].state === "failed"', 5_000, 'the failed row');
  assert.equal(failed[0].note, "Failed: This app's upload settings were not accepted.");
  assert.deepEqual(failed[0].buttons, ['skiff-retry', 'skiff-remove']);
  // Still open now, and (checked at the end) the one onClose comes after the retried upload, so the
  // overlay did not close after the first onUploadDone either.
  assert.equal(await page.locator('.skiff-picker').count(), 1, 'the overlay stays open after a failure with allowManualRetry');
  await page.click('.skiff-picker .skiff-retry');
  const ev2 = await waitEvent(page, 'rt', 'onUploadDone', 20_000, 2);
  const done = ev2.filter((e) => e.name === 'onUploadDone')[1].args[0];
  assert.deepEqual(done.filesFailed, []);
  assert.deepEqual(done.filesUploaded.map((f) => [f.filename, f.uploadTags]), [['retry.txt', { try: 'second' }]]);
  await assertStored(server.url, done.filesUploaded[0].handle, Buffer.from('retry bytes'), 'retry.txt');
  await waitEvent(page, 'rt', 'onClose');
  assert.equal(await page.locator('.skiff-picker').count(), 0, 'the overlay closes once the retry succeeded');
  const ends = (await events(page, 'rt')).map((e) => e.name).filter((n) => n === 'onUploadDone' || n === 'onClose');
  assert.deepEqual(ends, ['onUploadDone', 'onUploadDone', 'onClose'], 'the overlay stays open after a failure with allowManualRetry');
});

e2e('6d. allowManualRetry: an upload to an unreachable server fails, Retry succeeds once it is reachable', 40_000, async ({ page }, t) => {
  const door = await startProxy({ name: 'door' }); // no target yet: every connection is refused
  try {
    await addContainers(page, ['box']);
    await openPicker(page, 'door', {
      apikey: proxied.apikey, baseUrl: door.url,
      options: { displayMode: 'inline', container: '#box', maxFiles: 2, allowManualRetry: true, supportEmail: 'help@example.com',
        uploadConfig: { retry: 0, timeout: 5000 } },
    });
    await page.setInputFiles('#box input.skiff-input', [text('door.txt', 'through the door')]);
    await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'a ready row');
    await page.click('#box .skiff-upload');
    const failed = await waitRows(page, '#box', '(r) => r[0].state === "failed"', 20_000, 'the failed row');
    t.diagnostic(`unreachable server: ${failed[0].note}`);
    assert.match(failed[0].note, /^Failed: .+/, `a reason: ${failed[0].note}`);
    assert.match(failed[0].note, /multipart\/start|network|connect|fetch/i, `the reason names what failed: ${failed[0].note}`);
    assert.match(await page.textContent('#box .skiff-help'), /help@example\.com/, 'supportEmail is shown on a failure');
    door.setTarget(proxied.port);
    await page.click('#box .skiff-retry');
    const ev = await waitEvent(page, 'door', 'onUploadDone', 20_000, 2);
    const done = ev.filter((e) => e.name === 'onUploadDone')[1].args[0];
    assert.deepEqual(done.filesUploaded.map((f) => f.filename), ['door.txt']);
    await assertStored(proxied.url, done.filesUploaded[0].handle, Buffer.from('through the door'), 'door.txt');
  } finally {
    await door.stop();
  }
});

e2e('6e. four files at once stay within the browser\'s six connections to the server (requests asked of the browser, counted in the page)', 60_000, async ({ page }, t) => {
  await addContainers(page, ['box']);
  // Slow enough that the four files' parts overlap.
  gate.configure({ rate: 16_000_000 });
  // Counts the requests the page has asked the browser for and not yet seen end: over HTTP/1.1
  // the browser holds a seventh to the same host back in its own queue, unseen by the server, so
  // only the page can tell.
  await page.evaluate(() => {
    const track = { now: 0, max: 0 };
    window.inFlight = track;
    const begin = () => { track.now += 1; track.max = Math.max(track.max, track.now); };
    const end = () => { track.now -= 1; };
    const fetch0 = window.fetch;
    window.fetch = function (...args) {
      begin();
      return fetch0.apply(this, args).then((r) => r.clone().arrayBuffer().then(() => r, () => r), (e) => { throw e; }).finally(end);
    };
    // An XHR ends at its first load, error, abort or timeout; listened for from open(), so
    // before the uploader's own handlers (which may send the next request at once).
    const open0 = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (...args) {
      let sent = false;
      const ended = () => { if (sent) { sent = false; end(); } };
      for (const e of ['load', 'error', 'abort', 'timeout']) this.addEventListener(e, ended);
      this.markSent = () => { sent = true; begin(); };
      return open0.apply(this, args);
    };
    const send0 = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (...args) {
      this.markSent?.();
      return send0.apply(this, args);
    };
  });
  await openPicker(page, 'cx', cfg({ displayMode: 'inline', container: '#box', maxFiles: 4,
    uploadConfig: { partSize: 5 * MiB } }, { via: 'gate' }));
  const specs = ['c1', 'c2', 'c3', 'c4'].map((id) => ({ id, name: `${id}.bin`, size: 12 * MiB + 7 }));
  const bodies = await makeFiles(page, specs);
  await dropFiles(page, '#box .skiff-dialog', specs.map((s) => s.id));
  await waitRows(page, '#box', '(r) => r.length === 4 && r.every((x) => x.state === "ready")', 10_000, 'four ready rows');
  await page.click('#box .skiff-upload');
  const ev = await waitEvent(page, 'cx', 'onUploadDone', 50_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesFailed, []);
  const track = await page.evaluate(() => window.inFlight);
  t.diagnostic(`most requests in flight at once: ${track.max}`);
  assert.ok(track.max <= 6, `${track.max} requests in flight at once (the browser keeps 6 connections to a host)`);
  const byName = Object.fromEntries(done.filesUploaded.map((f) => [f.filename, f.handle]));
  for (const [i, s] of specs.entries()) await assertStored(proxied.url, byName[s.name], bodies[i], s.name);
});
