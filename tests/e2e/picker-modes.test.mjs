// End-to-end: Skiff's own picker (`init(apikey, {baseUrl}).picker(options)` from dist/index.js) in
// headless Chromium against real skiff-servers: how it shows and how files get into it. Each test
// opens its own tab (support/picker-suite.mjs has the setup shared with picker-upload.test.mjs and
// picker-a11y.test.mjs).
//
//   1. display modes (overlay, inline, dropPane, lang 'ar', a row uploading / done behind the
//      throttling proxy), screenshots in target/screenshots/picker-*.png; two inline pickers on one
//      page work independently; a dropPane with acceptFn / onFileSelected;
//   2. picking: the file input, drag and drop on the dialog, paste, globalDropZone (drop on body),
//      dropPane.overlay, pasteMode.pasteToFirstInstance, crop(files); folders (the folder input,
//      and a real folder drag through CDP);
//   9. opening and closing 5 times leaves no element, listener or style behind.
//
// Run: node --test tests/e2e/picker-modes.test.mjs   (or node --test tests/e2e/)
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ (scripts/build-wasm.sh) and the server binary
// ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import { before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/server.mjs';
import {
  dropFiles, events, listenerCounts, makeFiles, openPicker, pasteFiles, rows, waitEvent, waitFor, waitRows,
} from './support/picker-page.mjs';
import {
  MiB, PNG, addContainers, assertStored, cfg, e2e, gate, inputFile, named, pickerSuite, server, text,
} from './support/picker-suite.mjs';

const SHOTS = join(REPO_ROOT, 'target', 'screenshots');
const AR = JSON.parse(readFileSync(join(REPO_ROOT, 'www', 'lang', 'ar.json'), 'utf8'));

pickerSuite();
before(() => mkdirSync(SHOTS, { recursive: true }));

async function shot(page, name, selector) {
  const path = join(SHOTS, `picker-${name}.png`);
  if (selector) await page.locator(selector).first().screenshot({ path });
  else await page.screenshot({ path });
  return path;
}

// ---------------------------------------------------------------------------------------------
// 1. Display modes.

e2e('1a. overlay: opens as a modal dialog over a backdrop, files listed (one refused), screenshot', 30_000, async ({ page }) => {
  await openPicker(page, 'o', cfg({ displayMode: 'overlay', maxFiles: 5, accept: ['image/*', '.txt'], maxSize: 100_000 }));
  const info = await page.evaluate(() => {
    const root = document.querySelector('.skiff-picker');
    const dlg = root?.querySelector('.skiff-dialog');
    const title = dlg && document.getElementById(dlg.getAttribute('aria-labelledby'));
    return {
      mode: root?.dataset.mode, dir: root?.getAttribute('dir'), backdrop: !!root?.querySelector('.skiff-backdrop'),
      role: dlg?.getAttribute('role'), modal: dlg?.getAttribute('aria-modal'), title: title?.tagName + ':' + title?.textContent,
      close: !!dlg?.querySelector('button.skiff-close'), focused: document.activeElement?.className,
      tabs: Array.from(dlg?.querySelectorAll('button.skiff-tab') ?? [], (b) => `${b.dataset.source}:${b.getAttribute('aria-pressed')}`),
      live: root?.querySelector('.skiff-live')?.getAttribute('role'),
    };
  });
  assert.deepEqual(info, {
    mode: 'overlay', dir: 'ltr', backdrop: true, role: 'dialog', modal: 'true', title: 'H2:Select Files to Upload', close: true,
    focused: info.focused, tabs: ['local_file_system:true', 'url:false'], live: 'status',
  });
  assert.match(info.focused ?? '', /(^| )skiff-browse( |$)/, 'open() moves focus to .skiff-browse');
  assert.deepEqual((await events(page, 'o')).map((e) => e.name), ['onOpen'], 'onOpen once');
  assert.deepEqual((await events(page, 'o'))[0].args, ['<this picker>'], 'onOpen gets the PickerInstance');

  await page.setInputFiles('.skiff-picker input.skiff-input', [
    inputFile('photo.png', 'image/png', PNG), text('notes.txt', 'hello picker'), inputFile('setup.exe', 'application/x-msdownload', Buffer.from('MZ')),
  ]);
  const list = await waitRows(page, '.skiff-picker', '(r) => r.length === 3 && r.every((x) => x.state !== "checking")', 10_000, '3 rows');
  assert.deepEqual(list.map((r) => `${r.name}:${r.state}`), ['photo.png:ready', 'notes.txt:ready', 'setup.exe:refused']);
  assert.match(named(list, 'setup.exe').note, /not allowed/i);
  assert.equal(await page.textContent('.skiff-picker .skiff-count'), '2 of 5 files');
  assert.equal(await page.evaluate(() => document.querySelector('.skiff-picker img.skiff-thumb')?.naturalWidth), 64, 'the PNG thumbnail renders');
  await shot(page, 'overlay');
});

e2e('1b. inline in a container: a region, no backdrop or close button, screenshot', 30_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 'i', cfg({ displayMode: 'inline', container: '#box', maxFiles: 4, accept: ['image/*', '.txt'] }));
  const info = await page.evaluate(() => {
    const root = document.querySelector('#box .skiff-picker');
    const dlg = root?.querySelector('.skiff-dialog');
    return { mode: root?.dataset.mode, role: dlg?.getAttribute('role'), modal: dlg?.hasAttribute('aria-modal'),
      backdrop: !!root?.querySelector('.skiff-backdrop'), close: !!root?.querySelector('.skiff-close'),
      labelled: document.getElementById(dlg?.getAttribute('aria-labelledby'))?.className };
  });
  assert.deepEqual(info, { mode: 'inline', role: 'region', modal: false, backdrop: false, close: false, labelled: 'skiff-title' });
  await page.setInputFiles('#box input.skiff-input', [
    inputFile('photo.png', 'image/png', PNG), text('readme.txt', 'inline'), inputFile('archive.zip', 'application/zip', Buffer.from('PK')),
  ]);
  const list = await waitRows(page, '#box', '(r) => r.length === 3 && r.every((x) => x.state !== "checking")', 10_000, '3 rows');
  assert.deepEqual(list.map((r) => r.state), ['ready', 'ready', 'refused']);
  await shot(page, 'inline', '#box');
  // A container that is not on the page: open() rejects naming it.
  const err = await page.evaluate(async (c) => {
    try { await window.pk.make('nowhere', c).open(); return null; } catch (e) { return e instanceof Error ? e.message : String(e); }
  }, cfg({ displayMode: 'inline', container: '#not-there' }));
  assert.match(err ?? '(resolved)', /#not-there/, 'open() with a missing container rejects naming it');
});

e2e('1c. dropPane in a container: a pane button, uploads at once, refusals listed, screenshot', 30_000, async ({ page }) => {
  await addContainers(page, ['pane'], 'width:420px;height:200px;margin:8px');
  // Without onFileSelected (see 1g for a pane with app checks).
  await openPicker(page, 'd', cfg({ displayMode: 'dropPane', container: '#pane', maxFiles: 3, accept: ['.txt'],
    dropPane: { showProgress: true } }, { unrecorded: ['onFileSelected'] }));
  const info = await page.evaluate(() => ({
    mode: document.querySelector('#pane .skiff-picker')?.dataset.mode,
    button: document.querySelector('#pane .skiff-pane > button.skiff-pane-button')?.textContent,
    input: !!document.querySelector('#pane .skiff-pane > input.skiff-input'),
  }));
  assert.equal(info.mode, 'dropPane');
  assert.ok(info.button, 'the pane has a button with a text');
  assert.ok(info.input, 'the pane has its file input');
  await page.setInputFiles('#pane input.skiff-input', [text('pane.txt', 'dropped in the pane'), inputFile('pic.png', 'image/png', PNG)]);
  const ev = await waitEvent(page, 'd', 'dropPane.onSuccess');
  const success = ev.find((e) => e.name === 'dropPane.onSuccess').args[0];
  assert.equal(success.length, 1, `onSuccess files: ${JSON.stringify(success)}`);
  assert.equal(success[0].filename, 'pane.txt');
  await assertStored(server.url, success[0].handle, Buffer.from('dropped in the pane'), 'pane.txt');
  const list = await waitRows(page, '#pane', '(r) => r.some((x) => x.state === "refused")', 5_000, 'the refused row');
  assert.deepEqual(list.map((r) => `${r.name}:${r.state}`), ['pane.txt:done', 'pic.png:refused'], 'the pane lists what was uploaded and what was refused');
  assert.match(list[1].note, /not allowed/i);
  assert.ok(!ev.some((e) => e.name === 'onUploadDone'), 'dropPane reports with onSuccess, not onUploadDone');
  await shot(page, 'dropPane', '#pane');
});

e2e('1d. lang "ar": dir=rtl, lang=ar, translated title and buttons, screenshot', 30_000, async ({ page }) => {
  await openPicker(page, 'ar', cfg({ displayMode: 'overlay', lang: 'ar', maxFiles: 3, accept: ['image/*', '.txt'] }));
  const info = await page.evaluate(() => {
    const root = document.querySelector('.skiff-picker');
    return { dir: root?.getAttribute('dir'), lang: root?.getAttribute('lang'), title: root?.querySelector('h2.skiff-title')?.textContent,
      browse: root?.querySelector('.skiff-browse')?.textContent, upload: root?.querySelector('.skiff-upload')?.textContent,
      computed: root && getComputedStyle(root.querySelector('.skiff-dialog')).direction };
  });
  assert.deepEqual(info, { dir: 'rtl', lang: 'ar', title: AR['Select Files to Upload'], browse: AR['Select Files'], upload: AR.Upload, computed: 'rtl' });
  await page.setInputFiles('.skiff-picker input.skiff-input', [inputFile('صورة.png', 'image/png', PNG), text('notes.txt', 'x'), inputFile('x.exe', 'application/octet-stream', Buffer.from('x'))]);
  const list = await waitRows(page, '.skiff-picker', '(r) => r.length === 3 && r.every((x) => x.state !== "checking")', 10_000, '3 rows');
  assert.equal(named(list, 'notes.txt').note, AR.Ready, 'the row state is translated');
  assert.ok(!/Not accepted/.test(named(list, 'x.exe').note), `the refusal is translated: ${named(list, 'x.exe').note}`);
  await shot(page, 'ar');
});

e2e('1e. a row uploading next to a row done (throttled), screenshot', 40_000, async ({ page }) => {
  await addContainers(page, ['box']);
  // Progress is reported per part: 5 MiB parts one at a time, so the first shows after ~1.7 s.
  gate.configure({ rate: 3_000_000 });
  await openPicker(page, 'u', cfg({ displayMode: 'inline', container: '#box', maxFiles: 3, accept: ['image/*', '.bin', '.txt'],
    uploadConfig: { partSize: 5 * MiB, concurrency: 1 } }, { via: 'gate' }));
  await makeFiles(page, [{ id: 'small', name: 'small.txt', type: 'text/plain', text: 'tiny' }, { id: 'big', name: 'big.bin', size: 25 * MiB }]);
  await dropFiles(page, '#box .skiff-dialog', ['small', 'big']);
  await page.setInputFiles('#box input.skiff-input', [inputFile('refused.exe', 'application/octet-stream', Buffer.from('x'))]);
  await waitRows(page, '#box', '(r) => r.length === 3 && r.filter((x) => x.state === "ready").length === 2', 10_000, '2 ready rows');
  await page.click('#box .skiff-upload');
  const list = await waitRows(page, '#box', '(r) => r.some((x) => x.state === "done") && r.some((x) => x.state === "uploading" && /[1-9]/.test(x.note))',
    20_000, 'small done, big uploading');
  assert.ok(await page.isVisible('#box progress.skiff-total'), 'the total progress shows while uploading');
  assert.match(named(list, 'big.bin').note, /^Uploading \d+%$/);
  assert.deepEqual(named(list, 'big.bin').buttons, ['skiff-pause', 'skiff-cancel']);
  assert.equal(named(list, 'small.txt').note, 'Uploaded');
  await shot(page, 'uploading', '#box');
  await page.evaluate(() => window.pk.pickers.u.close());
});

e2e('1f. two inline pickers on one page work independently', 40_000, async ({ page }) => {
  await addContainers(page, ['left', 'right'], 'width:480px;height:460px;margin:4px;display:inline-block;vertical-align:top');
  await openPicker(page, 'L', cfg({ displayMode: 'inline', container: '#left', maxFiles: 2 }));
  await openPicker(page, 'R', cfg({ displayMode: 'inline', container: '#right', maxFiles: 2 }));
  const ids = await page.evaluate(() => Array.from(document.querySelectorAll('.skiff-title'), (h) => h.id));
  assert.equal(ids.length, 2);
  assert.notEqual(ids[0], ids[1], 'element ids are unique per picker');
  await page.setInputFiles('#left input.skiff-input', [text('left.txt', 'left side')]);
  await waitRows(page, '#left', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'left row');
  assert.deepEqual(await rows(page, '#right'), [], 'nothing picked on the right');
  assert.ok(await page.isDisabled('#right .skiff-upload'), 'right Upload stays disabled');
  await page.setInputFiles('#right input.skiff-input', [text('right-1.txt', 'right one'), text('right-2.txt', 'right two')]);
  await waitRows(page, '#right', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, 'right rows');
  assert.equal((await rows(page, '#left')).length, 1, 'left still has one row');
  await page.click('#left .skiff-upload');
  const evL = await waitEvent(page, 'L', 'onUploadDone');
  const doneL = evL.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(doneL.filesUploaded.map((f) => f.filename), ['left.txt']);
  assert.deepEqual((await rows(page, '#right')).map((r) => r.state), ['ready', 'ready'], 'right untouched by the left upload');
  assert.ok(!(await events(page, 'R')).some((e) => e.name === 'onUploadStarted'), 'right did not start');
  await page.click('#right .skiff-upload');
  const evR = await waitEvent(page, 'R', 'onUploadDone');
  const doneR = evR.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(doneR.filesUploaded.map((f) => f.filename).sort(), ['right-1.txt', 'right-2.txt']);
  await assertStored(server.url, doneL.filesUploaded[0].handle, Buffer.from('left side'), 'left.txt');
  for (const f of doneR.filesUploaded) await assertStored(server.url, f.handle, Buffer.from(f.filename === 'right-1.txt' ? 'right one' : 'right two'), f.filename);
  // Closing one leaves the other.
  await page.evaluate(() => window.pk.pickers.L.close());
  assert.equal(await page.locator('#left .skiff-picker').count(), 0);
  assert.equal(await page.locator('#right .skiff-picker').count(), 1);
});

e2e('1g. dropPane with onFileSelected / acceptFn: the checked files upload and onSuccess / onError report them', 30_000, async ({ page }) => {
  await addContainers(page, ['pane'], 'width:420px;height:200px;margin:8px');
  await openPicker(page, 'dc', cfg({ displayMode: 'dropPane', container: '#pane', maxFiles: 3 }, {
    fns: { acceptFn: "(file) => file.filename === 'vetoed.txt' ? Promise.reject(new Error('not this one')) : undefined" },
  }));
  await page.setInputFiles('#pane input.skiff-input', [text('checked.txt', 'checked bytes'), text('vetoed.txt', 'v')]);
  const ev = await waitEvent(page, 'dc', 'dropPane.onSuccess', 10_000);
  const success = ev.find((e) => e.name === 'dropPane.onSuccess').args[0];
  assert.deepEqual(success.map((f) => f.filename), ['checked.txt']);
  await assertStored(server.url, success[0].handle, Buffer.from('checked bytes'), 'checked.txt');
  const list = await rows(page, '#pane');
  assert.deepEqual(list.map((r) => `${r.name}:${r.state}:${r.note}`), ['checked.txt:done:Uploaded', 'vetoed.txt:refused:Not accepted: not this one']);
});

// ---------------------------------------------------------------------------------------------
// 2. Picking files: the file input, drag and drop, paste, globalDropZone.

e2e('2a. picking with the file input, a drop on the dialog and a paste; bytes stored as picked', 40_000, async ({ page }) => {
  await openPicker(page, 'p', cfg({ displayMode: 'overlay', maxFiles: 10 }));
  const made = await makeFiles(page, [
    { id: 'd1', name: 'dropped-1.bin', size: 70_001 },
    { id: 'd2', name: 'dropped-2.txt', type: 'text/plain', text: 'dropped two' },
    { id: 'v1', name: 'pasted.bin', size: 4_097 },
    { id: 'g1', name: 'stray.bin', size: 1_234 },
  ]);
  const byName = { 'dropped-1.bin': made[0], 'dropped-2.txt': made[1], 'pasted.bin': made[2] };
  const picked = randomBytes(33_333);
  await page.setInputFiles('.skiff-picker input.skiff-input', [inputFile('input.bin', 'application/octet-stream', picked)]);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the picked file');

  // Without globalDropZone a drop elsewhere on the page is not the picker's. The drop on the dialog
  // right after it takes the same way into the picker, so once its files are listed, a file taken
  // from the first drop would be listed too.
  await dropFiles(page, 'body', ['g1']);
  const handled = await dropFiles(page, '.skiff-picker .skiff-dialog', ['d1', 'd2']);
  assert.ok(handled, 'the drop on .skiff-dialog is handled (preventDefault)');
  const dropped = await waitRows(page, '.skiff-picker', '(r) => r.some((x) => x.name === "dropped-2.txt") && r.every((x) => x.state === "ready")', 10_000, 'the dropped files');
  assert.deepEqual(dropped.map((r) => r.name), ['input.bin', 'dropped-1.bin', 'dropped-2.txt'], 'a drop on <body> without globalDropZone adds nothing');

  const pasted = await pasteFiles(page, ['v1']);
  assert.ok(pasted, 'the paste with files is handled (preventDefault)');
  const list = await waitRows(page, '.skiff-picker', '(r) => r.length === 4 && r.every((x) => x.state === "ready")', 10_000, 'the pasted file');
  assert.deepEqual(list.map((r) => r.name), ['input.bin', 'dropped-1.bin', 'dropped-2.txt', 'pasted.bin']);

  await page.click('.skiff-picker .skiff-upload');
  const ev = await waitEvent(page, 'p', 'onUploadDone', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesFailed, []);
  assert.equal(done.filesUploaded.length, 4);
  for (const f of done.filesUploaded) {
    assert.equal(f.source, 'local_file_system');
    await assertStored(server.url, f.handle, f.filename === 'input.bin' ? picked : byName[f.filename], f.filename);
  }
});

e2e('2b. globalDropZone: a drop anywhere on the page adds the files', 30_000, async ({ page }) => {
  await openPicker(page, 'g', cfg({ displayMode: 'overlay', maxFiles: 5, globalDropZone: true }));
  const [made] = await makeFiles(page, [{ id: 'g1', name: 'global.bin', size: 12_345 }]);
  const handled = await dropFiles(page, 'body', ['g1']);
  assert.ok(handled, 'the page-wide drop is handled (preventDefault, so the browser does not open the file)');
  await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].name === "global.bin" && r[0].state === "ready"', 10_000, 'the dropped file');
  // A drop on the dialog itself adds the files once (not once for the dialog and again for the page).
  // A second copy would come from the page-wide listener in the same dispatch; the page-wide drop
  // after it is listed later than that copy would be, so the list is checked once that one is in.
  const [second] = await makeFiles(page, [{ id: 'g2', name: 'on-dialog.bin', size: 2_345 }, { id: 'g3', name: 'last.bin', size: 345 }]);
  await dropFiles(page, '.skiff-picker .skiff-dialog', ['g2']);
  await dropFiles(page, 'body', ['g3']);
  const list = await waitRows(page, '.skiff-picker', '(r) => r.some((x) => x.name === "last.bin") && r.every((x) => x.state === "ready")', 10_000, 'the last dropped file');
  assert.deepEqual(list.map((r) => r.name), ['global.bin', 'on-dialog.bin', 'last.bin'], 'a drop on the dialog with globalDropZone adds each file once');
  await page.click('.skiff-picker .skiff-upload');
  const ev = await waitEvent(page, 'g', 'onUploadDone', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesUploaded.map((f) => f.filename), ['global.bin', 'on-dialog.bin', 'last.bin']);
  await assertStored(server.url, done.filesUploaded[0].handle, made, 'global.bin');
  await assertStored(server.url, done.filesUploaded[1].handle, second, 'on-dialog.bin');
});

e2e('2c. dropPane.overlay: a drop anywhere on the page, or on the pane itself, uploads each file once', 30_000, async ({ page }) => {
  await addContainers(page, ['pane'], 'width:420px;height:200px;margin:8px');
  await openPicker(page, 'po', cfg({ displayMode: 'dropPane', container: '#pane', maxFiles: 5, dropPane: { overlay: true } }, { unrecorded: ['onFileSelected'] }));
  await makeFiles(page, [
    { id: 'b', name: 'on-body.txt', type: 'text/plain', text: 'body' },
    { id: 'p', name: 'on-pane.txt', type: 'text/plain', text: 'pane' },
    { id: 'l', name: 'last.txt', type: 'text/plain', text: 'last' },
  ]);
  assert.ok(await dropFiles(page, 'body', ['b']), 'the page-wide drop is handled');
  const ev1 = await waitEvent(page, 'po', 'dropPane.onSuccess', 10_000);
  assert.deepEqual(ev1.find((e) => e.name === 'dropPane.onSuccess').args[0].map((f) => f.filename), ['on-body.txt']);
  await dropFiles(page, '#pane .skiff-pane', ['p']);
  await waitEvent(page, 'po', 'dropPane.onSuccess', 10_000, 2);
  // A second upload of on-pane.txt would start from the same drop; a later page-wide drop's upload
  // starts after it, so every upload start is in once that one has finished.
  await dropFiles(page, 'body', ['l']);
  const ev3 = await waitEvent(page, 'po', 'dropPane.onSuccess', 10_000, 3);
  const started = ev3.filter((e) => e.name === 'onFileUploadStarted').map((e) => e.args[0].filename);
  assert.deepEqual(started, ['on-body.txt', 'on-pane.txt', 'last.txt'], 'each dropped file is uploaded once');
  const successes = ev3.filter((e) => e.name === 'dropPane.onSuccess').map((e) => e.args[0].map((f) => f.filename));
  assert.deepEqual(successes, [['on-body.txt'], ['on-pane.txt'], ['last.txt']]);
});

e2e('2d. pasteMode.pasteToFirstInstance: with two pickers open only the first takes a paste; crop(files) opens with them', 30_000, async ({ page }) => {
  await addContainers(page, ['first', 'second'], 'width:420px;height:380px;margin:4px;display:inline-block;vertical-align:top');
  const paste = { pasteMode: { pasteToFirstInstance: true } };
  await openPicker(page, 'p1', cfg({ displayMode: 'inline', container: '#first', maxFiles: 3, ...paste }, { unrecorded: ['onFileSelected'] }));
  await openPicker(page, 'p2', cfg({ displayMode: 'inline', container: '#second', maxFiles: 3, ...paste }, { unrecorded: ['onFileSelected'] }));
  await makeFiles(page, [{ id: 'c', name: 'clip.txt', type: 'text/plain', text: 'clipboard' }, { id: 'k', name: 'cropped.txt', type: 'text/plain', text: 'crop' }]);
  assert.ok(await pasteFiles(page, ['c']), 'the paste is taken');
  await waitRows(page, '#first', '(r) => r.length === 1 && r[0].name === "clip.txt"', 5_000, 'the paste in the first picker');
  // crop(files): a new picker opens with the files selected.
  await page.evaluate((c) => window.pk.make('cr', c).crop([window.skiffFiles.k]), cfg({ displayMode: 'overlay', maxFiles: 2 }, { unrecorded: ['onFileSelected'] }));
  const list = await waitRows(page, '.skiff-picker[data-mode=overlay]', '(r) => r.length === 1 && r[0].state === "ready"', 5_000, 'the cropped file listed');
  assert.equal(list[0].name, 'cropped.txt');
  // The new picker was mounted and listed its file after the paste: the second picker would have
  // listed a pasted file by then.
  assert.deepEqual(await rows(page, '#second'), [], 'the second picker does not take the paste');
  assert.deepEqual((await events(page, 'cr')).map((e) => e.name), ['onOpen']);
});

// ---------------------------------------------------------------------------------------------
// 9. Re-opening leaves nothing behind.

e2e('2e. folders: "Select a Folder" and a folder dropped on the dialog add every file inside, at any depth', 30_000, async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-folder-'));
  mkdirSync(join(dir, 'album', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'album', 'one.txt'), 'one');
  writeFileSync(join(dir, 'album', 'nested', 'two.txt'), 'two two');
  try {
    await openPicker(page, 'f', cfg({ displayMode: 'overlay', maxFiles: 10 }));
    await page.setInputFiles('.skiff-picker input.skiff-folder-input', join(dir, 'album'));
    await waitRows(page, '.skiff-picker', '(r) => r.length === 2', 10_000, 'the folder\'s two files');
    assert.deepEqual((await rows(page)).map((r) => r.name).sort(), ['one.txt', 'two.txt']);
    // A real drag of the folder from the OS (CDP Input.dispatchDragEvent with a path): the drop's
    // items are directory entries, walked by the entry's filesFromDrop.
    await page.evaluate(() => window.pk.pickers.f.close());
    await openPicker(page, 'f2', cfg({ displayMode: 'overlay', maxFiles: 10 }));
    const box = await page.locator('.skiff-picker .skiff-drop').boundingBox();
    const cdp = await page.context().newCDPSession(page);
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const data = { items: [], files: [join(dir, 'album')], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
    await waitRows(page, '.skiff-picker', '(r) => r.length === 2', 10_000, 'the dropped folder\'s two files');
    assert.deepEqual((await rows(page)).map((r) => r.name).sort(), ['one.txt', 'two.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

e2e('9. open / close 5 times (every way of closing): no element, listener or style left behind', 60_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await page.evaluate(({ o, i }) => {
    window.pk.make('ov', o);
    window.pk.make('in', i);
  }, {
    o: cfg({ displayMode: 'overlay', maxFiles: 3, globalDropZone: true }),
    i: cfg({ displayMode: 'inline', container: '#box', maxFiles: 3, globalDropZone: true }),
  });
  const box = { box: "document.querySelector('#box')" };
  const base = await listenerCounts(page, box);
  // open() twice at once mounts one picker and calls onOpen once.
  await page.evaluate(() => Promise.all([window.pk.pickers.ov.open(), window.pk.pickers.ov.open()]));
  await page.waitForSelector('.skiff-picker .skiff-dialog', { state: 'visible', timeout: 5_000 });
  assert.equal(await page.locator('.skiff-picker').count(), 1, 'open() twice at once: one picker');
  await page.evaluate(() => window.pk.pickers.ov.close());
  await waitEvent(page, 'ov', 'onClose', 5_000);
  // Whatever either open() did came before that close: one onOpen, and no second picker left.
  assert.equal((await events(page, 'ov')).filter((e) => e.name === 'onOpen').length, 1, 'open() twice at once: one onOpen');
  await waitFor(page, () => document.querySelectorAll('.skiff-picker').length === 0, null, 5_000, 'no .skiff-picker after one close() (open() twice at once)');
  await page.evaluate(() => window.pk.ev.splice(0));
  const closers = [
    ['close()', () => page.evaluate(() => window.pk.pickers.ov.close())],
    ['Escape', () => page.keyboard.press('Escape')],
    ['the close button', () => page.click('.skiff-picker .skiff-close')],
    ['the backdrop', () => page.mouse.click(4, 4)],
    ['cancel()', () => page.evaluate(() => window.pk.pickers.ov.cancel())],
  ];
  for (const [i, [how, close]] of closers.entries()) {
    await page.evaluate(() => window.pk.pickers.ov.open());
    await page.waitForSelector('.skiff-picker .skiff-dialog', { state: 'visible', timeout: 5_000 });
    if (i % 2 === 0) {
      await page.setInputFiles('.skiff-picker input.skiff-input', [text(`round-${i}.txt`, 'x')]);
      await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "ready"', 5_000, 'a row');
    }
    await close();
    await waitEvent(page, 'ov', 'onClose', 5_000, i + 1);
    await waitFor(page, () => document.querySelectorAll('.skiff-picker').length === 0, null, 5_000, `no .skiff-picker after closing with ${how}`);
  }
  for (let i = 0; i < 5; i++) {
    await page.evaluate(() => window.pk.pickers.in.open());
    await page.waitForSelector('#box .skiff-dialog', { state: 'visible', timeout: 5_000 });
    await page.evaluate(() => window.pk.pickers.in.close());
    await waitFor(page, () => document.querySelectorAll('.skiff-picker').length === 0, null, 5_000, 'no inline .skiff-picker after close()');
  }
  assert.equal(await page.evaluate(() => document.getElementById('box').innerHTML), '', 'the inline container is left empty');
  assert.equal(await page.locator('#skiff-picker-css').count(), 1, 'one #skiff-picker-css');
  assert.equal(await page.locator('style#skiff-picker-css').count(), 1);
  const now = await listenerCounts(page, box);
  assert.deepEqual(now.document, base.document, 'listeners on document: before the first open vs after 5 opens');
  assert.deepEqual(now.window, base.window, 'listeners on window: before the first open vs after 5 opens');
  assert.deepEqual(now.box, base.box, 'listeners on the inline container: before the first open vs after 5 opens');
  const ev = (await events(page)).map((e) => `${e.p}:${e.name}`);
  assert.equal(ev.filter((e) => e === 'ov:onClose').length, 5);
  assert.equal(ev.filter((e) => e === 'in:onClose').length, 5);
  assert.equal(ev.filter((e) => e === 'ov:onCancel').length, 1, 'cancel() calls onCancel');
});

e2e('9b. open() then close() and cancel() without awaiting: they run in order, nothing is left behind', 20_000, async ({ page }) => {
  const c = cfg({ displayMode: 'overlay' });
  const left = await page.evaluate(async (c) => {
    const p = window.pk.make('bb', c);
    const steps = [p.open(), p.close(), p.open(), p.cancel()];
    await Promise.all(steps);
    return document.querySelectorAll('.skiff-picker').length;
  }, c);
  assert.equal(left, 0, 'the last call (cancel) ran after the second open');
  const names = (await events(page, 'bb')).map((e) => e.name).filter((n) => n === 'onOpen' || n === 'onClose' || n === 'onCancel');
  assert.deepEqual(names, ['onOpen', 'onClose', 'onOpen', 'onCancel', 'onClose']);
});
