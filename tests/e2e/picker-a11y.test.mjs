// End-to-end: Skiff's own picker (`init(apikey, {baseUrl}).picker(options)` from dist/index.js) in
// headless Chromium against real skiff-servers: accessibility. Each test opens its own tab
// (support/picker-suite.mjs has the setup shared with picker-modes.test.mjs and
// picker-upload.test.mjs).
//
//   7. keyboard only: open, focus trap both ways, file chooser, upload, Escape, focus back, outline;
//   8. axe-core audit of overlay (a file kept uploading by the throttling proxy), inline and
//      dropPane with files listed.
//
// Run: node --test tests/e2e/picker-a11y.test.mjs   (or node --test tests/e2e/)
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ (scripts/build-wasm.sh), node_modules/axe-core
// and the server binary ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import assert from 'node:assert/strict';
import { assertNoViolations, audit } from './support/axe.mjs';
import { dropFiles, makeFiles, openPicker, waitEvent, waitFor, waitRows } from './support/picker-page.mjs';
import {
  MiB, PNG, addContainers, assertStored, cfg, e2e, gate, inputFile, pickerSuite, server, sleep, text,
} from './support/picker-suite.mjs';


pickerSuite();

// ---------------------------------------------------------------------------------------------
// 7. Keyboard only.

const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  const s = a && getComputedStyle(a);
  return {
    id: a?.id || null, cls: a?.className || a?.tagName, src: a?.dataset?.source ?? null, inDialog: !!a?.closest?.('.skiff-dialog'),
    outline: s ? `${s.outlineStyle} ${s.outlineWidth}` : null, shadow: s?.boxShadow ?? null,
  };
});
const key = (f) => `${f.cls}${f.src ? `[${f.src}]` : ''}`;

e2e('7. keyboard only: open, focus trapped both ways with a visible outline, choose files, upload, Escape, focus back', 40_000, async ({ page }) => {
  // Playwright turns on file chooser interception when the first listener is added, without
  // waiting: add one now so the interception is on long before Enter is pressed.
  const choosers = [];
  page.on('filechooser', (c) => choosers.push(c));
  await page.evaluate(({ c }) => {
    window.pk.make('kb', c);
    document.body.insertAdjacentHTML('afterbegin', '<button id="opener" type="button">Upload files</button>');
    document.getElementById('opener').addEventListener('click', () => window.pk.pickers.kb.open());
  }, { c: cfg({ displayMode: 'overlay', maxFiles: 3 }) });
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).id, 'opener', 'Tab reaches the opener');
  await page.keyboard.press('Enter');
  await waitEvent(page, 'kb', 'onOpen');
  let f = await focused(page);
  assert.match(f.cls, /(^| )skiff-browse( |$)/, 'focus moves to .skiff-browse on open');

  // Forward: Tab goes around the dialog and comes back.
  const cycle = [key(f)];
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    f = await focused(page);
    assert.ok(f.inDialog, `Tab left the dialog: focus on ${JSON.stringify(f)} after ${cycle.join(' → ')}`);
    assert.ok(!/^none\b/.test(f.outline) || (f.shadow && f.shadow !== 'none'), `no visible focus on ${key(f)}: outline ${f.outline}, box-shadow ${f.shadow}`);
    if (key(f) === cycle[0]) break;
    cycle.push(key(f));
  }
  assert.equal(key(f), cycle[0], `Tab never came back to the start: ${cycle.join(' → ')}`);
  assert.ok(cycle.length >= 4, `the cycle has the dialog's controls: ${cycle.join(' → ')}`);
  for (const want of ['skiff-close', 'skiff-browse-folder']) assert.ok(cycle.some((c) => c.includes(want)), `${want} in the Tab cycle ${cycle.join(' → ')}`);
  // Backward: Shift+Tab visits the same controls in reverse.
  const back = [];
  for (let i = 0; i < cycle.length; i++) {
    await page.keyboard.press('Shift+Tab');
    f = await focused(page);
    assert.ok(f.inDialog, `Shift+Tab left the dialog: ${JSON.stringify(f)}`);
    back.push(key(f));
  }
  assert.deepEqual(back, [...cycle.slice(1).reverse(), cycle[0]], 'Shift+Tab cycles backwards');

  // Enter on "Select Files" opens the chooser.
  for (let i = 0; i < cycle.length && !/(^| )skiff-browse( |$)/.test((await focused(page)).cls); i++) await page.keyboard.press('Tab');
  f = await focused(page);
  assert.match(f.cls, /(^| )skiff-browse( |$)/, `focus on .skiff-browse before Enter: ${JSON.stringify(f)}`);
  await sleep(100);
  await page.keyboard.press('Enter');
  for (let i = 0; i < 100 && !choosers.length; i++) await sleep(50);
  assert.equal(choosers.length, 1, 'Enter on .skiff-browse opens one file chooser');
  const [chooser] = choosers;
  assert.ok(chooser.isMultiple(), 'the chooser takes several files (maxFiles 3)');
  await chooser.setFiles([text('kb-1.txt', 'keyboard one'), text('kb-2.txt', 'keyboard two')]);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, 'two ready rows');

  // Tab to Upload, Enter.
  let reached = false;
  for (let i = 0; i < 20 && !reached; i++) {
    await page.keyboard.press('Tab');
    f = await focused(page);
    assert.ok(f.inDialog, `Tab left the dialog: ${JSON.stringify(f)}`);
    reached = /(^| )skiff-upload( |$)/.test(f.cls);
  }
  assert.ok(reached, 'Tab reaches .skiff-upload');
  assert.ok(!/^none\b/.test(f.outline) || (f.shadow && f.shadow !== 'none'), `no visible focus on Upload: ${f.outline}`);
  await page.keyboard.press('Enter');
  const ev = await waitEvent(page, 'kb', 'onClose', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual(done.filesUploaded.map((x) => x.filename), ['kb-1.txt', 'kb-2.txt']);
  for (const x of done.filesUploaded) await assertStored(server.url, x.handle, Buffer.from(x.filename === 'kb-1.txt' ? 'keyboard one' : 'keyboard two'), x.filename);
  assert.equal((await focused(page)).id, 'opener', 'focus returns to the opener after the overlay closed itself');

  // Again, and Escape closes it.
  await page.keyboard.press('Enter');
  await waitEvent(page, 'kb', 'onOpen', 10_000, 2);
  assert.match((await focused(page)).cls, /(^| )skiff-browse( |$)/);
  await page.keyboard.press('Escape');
  await waitEvent(page, 'kb', 'onClose', 10_000, 2);
  await waitFor(page, () => document.querySelectorAll('.skiff-picker').length === 0, null, 5_000, 'the overlay to go');
  assert.equal((await focused(page)).id, 'opener', 'focus returns to the opener after Escape');
});

// ---------------------------------------------------------------------------------------------
// 8. Accessibility audit (axe-core).

e2e('8a. axe: the overlay with a refused file and a file uploading', 40_000, async ({ page }) => {
  gate.configure({ rate: 1_000_000 });
  await openPicker(page, 'ax', cfg({ displayMode: 'overlay', maxFiles: 3, accept: ['image/*', '.bin'], uploadConfig: { partSize: 5 * MiB, concurrency: 1 } }, { via: 'gate' }));
  await makeFiles(page, [{ id: 's', name: 'slow.bin', size: 8 * MiB }]);
  await dropFiles(page, '.skiff-picker .skiff-dialog', ['s']);
  await page.setInputFiles('.skiff-picker input.skiff-input', [inputFile('photo.png', 'image/png', PNG), inputFile('refused.exe', 'application/octet-stream', Buffer.from('x'))]);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 3 && r.every((x) => x.state !== "checking")', 10_000, '3 rows');
  assertNoViolations(await audit(page, '.skiff-picker'), 'the overlay with files picked');
  await page.click('.skiff-picker .skiff-upload');
  await waitRows(page, '.skiff-picker', '(r) => r.some((x) => x.state === "uploading") && r.some((x) => x.state === "refused")', 10_000, 'uploading + refused');
  assertNoViolations(await audit(page, '.skiff-picker'), 'the overlay while uploading');
  await page.evaluate(() => window.pk.pickers.ax.close());
});

e2e('8b. axe: inline (a refused file, a file done) and dropPane (a refused file)', 40_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await addContainers(page, ['pane'], 'width:420px;height:200px;margin:8px');
  await openPicker(page, 'ai', cfg({ displayMode: 'inline', container: '#box', maxFiles: 3, accept: ['image/*', '.txt'] }));
  await openPicker(page, 'ap', cfg({ displayMode: 'dropPane', container: '#pane', maxFiles: 3, accept: ['.txt'] }));
  const found = {}; // every audit runs; the assertions come at the end
  found['the empty drop pane'] = await audit(page, '#pane .skiff-picker');
  await page.setInputFiles('#box input.skiff-input', [text('done.txt', 'done'), inputFile('photo.png', 'image/png', PNG), inputFile('refused.exe', 'application/octet-stream', Buffer.from('x'))]);
  await waitRows(page, '#box', '(r) => r.length === 3 && r.every((x) => x.state !== "checking")', 10_000, '3 rows');
  await page.click('#box .skiff-upload');
  await waitEvent(page, 'ai', 'onUploadDone', 20_000);
  await waitRows(page, '#box', '(r) => r.filter((x) => x.state === "done").length === 2', 5_000, 'two done rows');
  found['the inline picker after the upload'] = await audit(page, '#box .skiff-picker');
  await page.setInputFiles('#pane input.skiff-input', [inputFile('refused.png', 'image/png', PNG)]);
  await waitRows(page, '#pane', '(r) => r.length === 1 && r[0].state === "refused"', 10_000, 'the refused row in the pane');
  found['the drop pane with a refused file'] = await audit(page, '#pane .skiff-picker');
  for (const [what, v] of Object.entries(found)) assertNoViolations(v, what);
});
