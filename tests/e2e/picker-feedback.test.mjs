// End-to-end: what a person sees while and after files upload. A failure is never hidden (the
// overlay stays open with Retry and Remove on each failed row, whatever allowManualRetry says);
// progress moves while parts are on the wire; slow uploads show their speed and time left; the drop pane lists what it uploads and how each
// file ended; an inline picker's second batch is its own; a touch-only device is not offered a
// folder it cannot pick.
//
// Run: node --test tests/e2e/picker-feedback.test.mjs   (or node --test tests/e2e/)
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ (scripts/build-wasm.sh) and the server binary
// ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import assert from 'node:assert/strict';
import { withUplink } from './support/browser.mjs';
import { dropFiles, events, makeFiles, openPicker, waitEvent, waitFor, waitRows } from './support/picker-page.mjs';
import { MiB, addContainers, cfg, e2e, gate, pickerSuite, text } from './support/picker-suite.mjs';

// The server here does not allow private addresses: a loopback link is refused.
pickerSuite();

const FAILING_ONCE = "() => { window.tagCalls = (window.tagCalls ?? 0) + 1; if (window.tagCalls === 1) throw new Error('first try fails on purpose'); return 'second'; }";

e2e('1a. default options, a refused link: the overlay stays open and says which file failed; Remove, then Done', 30_000, async ({ page }) => {
  await openPicker(page, 'f', cfg({ displayMode: 'overlay', maxFiles: 2, fromSources: ['local_file_system', 'url'] }));
  await page.setInputFiles('.skiff-picker input.skiff-input', [text('fine.txt', 'fine bytes')]);
  await page.click('.skiff-picker .skiff-tab[data-source=url]');
  await page.fill('.skiff-picker input.skiff-url-input', 'http://127.0.0.1:9/private.bin');
  await page.click('.skiff-picker button.skiff-url-add');
  await waitRows(page, '.skiff-picker', '(r) => r.length === 2 && r.every((x) => x.state === "ready")', 10_000, 'two ready rows');
  await page.click('.skiff-picker .skiff-upload');
  const ev = await waitEvent(page, 'f', 'onUploadDone', 20_000);
  const done = ev.find((e) => e.name === 'onUploadDone').args[0];
  assert.deepEqual([done.filesUploaded.length, done.filesFailed.length], [1, 1], 'the result shapes stay as filestack-js has them');
  assert.ok(ev.some((e) => e.name === 'onFileUploadFailed'), 'onFileUploadFailed');

  const list = await waitRows(page, '.skiff-picker', '(r) => r.some((x) => x.state === "failed")', 5_000, 'the failed row');
  assert.equal(await page.locator('.skiff-picker').count(), 1, 'the overlay stays open after a failure');
  const bad = list.find((r) => r.state === 'failed');
  assert.equal(bad.name, 'private.bin');
  assert.match(bad.note, /^Failed: /, 'the row says why');
  assert.deepEqual(bad.buttons, ['skiff-retry', 'skiff-remove'], 'a failed row can be retried or removed');
  assert.equal(await page.textContent('.skiff-picker .skiff-count'), 'Some files could not be uploaded');
  assert.ok(!ev.some((e) => e.name === 'onClose'), 'not closed');

  await page.click('.skiff-picker li.skiff-file[data-state=failed] .skiff-remove');
  await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "done"', 5_000, 'the failed row removed');
  assert.equal(await page.textContent('.skiff-picker .skiff-count'), 'All files uploaded');
  await page.click('.skiff-picker .skiff-done');
  await waitFor(page, () => document.querySelectorAll('.skiff-picker').length === 0, undefined, 5_000, 'Done closes the overlay');
  await waitEvent(page, 'f', 'onClose', 5_000);
});

e2e('1b. default options: a failed file has Retry; once it is stored the overlay closes by itself', 30_000, async ({ page }) => {
  await openPicker(page, 'r', cfg({ displayMode: 'overlay' }, { fns: { 'uploadConfig.tags.try': FAILING_ONCE } }));
  await page.setInputFiles('.skiff-picker input.skiff-input', [text('retry.txt', 'retry bytes')]);
  await waitRows(page, '.skiff-picker', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'a ready row');
  await page.click('.skiff-picker .skiff-upload');
  const [failed] = await waitRows(page, '.skiff-picker', '(r) => r[0].state === "failed"', 10_000, 'the failed row');
  assert.deepEqual(failed.buttons, ['skiff-retry', 'skiff-remove']);
  assert.equal(await page.locator('.skiff-picker').count(), 1, 'still open');
  await page.click('.skiff-picker .skiff-retry');
  await waitEvent(page, 'r', 'onClose', 15_000);
  const ends = (await events(page, 'r')).filter((e) => ['onUploadDone', 'onClose'].includes(e.name)).map((e) => e.name);
  assert.deepEqual(ends, ['onUploadDone', 'onUploadDone', 'onClose']);
});

e2e('2. a slow upload shows its speed and time left', 60_000, async ({ page }) => {
  await addContainers(page, ['box']);
  gate.configure({ rate: 2_000_000 });
  await openPicker(page, 'p', cfg({ displayMode: 'inline', container: '#box',
    uploadConfig: { partSize: 5 * MiB, concurrency: 1, progressInterval: 100 } }, { via: 'gate' }));
  await makeFiles(page, [{ id: 'slow', name: 'slow.bin', size: 12 * MiB }]);
  await dropFiles(page, '#box .skiff-dialog', ['slow']);
  await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the ready row');
  await page.click('#box .skiff-upload');
  await waitFor(page, () => /\/s · \d+ (s|min) left$/.test(document.querySelector('#box .skiff-file-rate')?.textContent ?? ''),
    undefined, 20_000, 'the speed and time left of the slow upload');
  const pace = await page.textContent('#box .skiff-file-rate');
  assert.match(pace, /^[\d.]+ (kB|MB)\/s · \d+ (s|min) left$/, pace);
  assert.equal(await page.locator('.skiff-live').first().textContent().then((s) => s.includes('/s')), false,
    'the live region does not announce the changing pace');
  await waitEvent(page, 'p', 'onUploadDone', 40_000);
  assert.equal(await page.locator('#box .skiff-file-rate').count(), 0, 'no pace once stored');
});

e2e('2b. default options, a 3 MB/s uplink: the row and onFileUploadProgress move while the parts are on the wire', 60_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 'm', cfg({ displayMode: 'inline', container: '#box', uploadConfig: { progressInterval: 100 } }));
  await makeFiles(page, [{ id: 'moving', name: 'moving.bin', size: 12 * MiB }]);
  await dropFiles(page, '#box .skiff-dialog', ['moving']);
  await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the ready row');
  const bars = await withUplink(page, 3_000_000, async () => {
    await page.click('#box .skiff-upload');
    // The row's bar, read every 100 ms until the upload ends.
    return page.evaluate(() => new Promise((resolve) => {
      const seen = [];
      const timer = setInterval(() => {
        const bar = document.querySelector('#box .skiff-bar');
        if (bar) seen.push(Number(bar.value));
        if (document.querySelector('#box li.skiff-file[data-state=done]')) { clearInterval(timer); resolve(seen); }
      }, 100);
    }));
  });
  const moving = new Set(bars.filter((v) => v > 0 && v < 100));
  assert.ok(moving.size >= 5, `the row's bar did not move: ${JSON.stringify(bars)}`);
  assert.ok(bars.every((v, i) => i === 0 || v >= bars[i - 1]), `the bar went back: ${JSON.stringify(bars)}`);
  const progress = (await events(page, 'm')).filter((e) => e.name === 'onFileUploadProgress').map((e) => e.args[1].totalBytes);
  const between = new Set(progress.filter((b) => b > 0 && b < 12 * MiB));
  assert.ok(between.size >= 8, `onFileUploadProgress did not move: ${JSON.stringify(progress)}`);
  assert.ok(progress.every((v, i) => i === 0 || v >= progress[i - 1]), `onFileUploadProgress went back: ${JSON.stringify(progress)}`);
});

e2e('3. the drop pane lists its files: uploading, then stored or failed (with Retry)', 60_000, async ({ page }) => {
  await addContainers(page, ['pane']);
  gate.configure({ rate: 4_000_000 });
  await openPicker(page, 'd', cfg({ displayMode: 'dropPane', container: '#pane', maxFiles: 3,
    uploadConfig: { partSize: 5 * MiB, progressInterval: 100 } }, { via: 'gate', fns: { 'uploadConfig.tags.try': FAILING_ONCE } }));
  await makeFiles(page, [{ id: 'big', name: 'big.bin', size: 8 * MiB }]);
  await dropFiles(page, '#pane .skiff-pane', ['big']);
  // The file's tags fail on purpose the first time: it fails at once, with Retry and Remove.
  const [failed] = await waitRows(page, '#pane', '(r) => r.length === 1 && r[0].state === "failed"', 10_000, 'the failed row in the pane');
  assert.equal(failed.name, 'big.bin');
  assert.match(failed.note, /^Failed: /);
  assert.deepEqual(failed.buttons, ['skiff-retry', 'skiff-remove']);
  await page.click('#pane .skiff-retry');
  const [up] = await waitRows(page, '#pane', '(r) => r[0]?.state === "uploading"', 10_000, 'the pane shows the upload');
  assert.match(up.note, /^Uploading \d+%$/);
  const [stored] = await waitRows(page, '#pane', '(r) => r[0]?.state === "done"', 40_000, 'the stored row in the pane');
  assert.equal(stored.note, 'Uploaded', 'afterwards the pane says what was uploaded');
});

e2e('4. inline picker, second batch: the footer and the live region follow the new files', 30_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 'b', cfg({ displayMode: 'inline', container: '#box', maxFiles: 3 }));
  await page.setInputFiles('#box input.skiff-input', [text('one.txt', 'one')]);
  await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'first batch ready');
  await page.click('#box .skiff-upload');
  await waitEvent(page, 'b', 'onUploadDone', 15_000);
  await waitFor(page, () => document.querySelector('#box .skiff-count')?.textContent === 'All files uploaded', undefined, 5_000, 'first batch done');
  await page.setInputFiles('#box input.skiff-input', [text('two.txt', 'two')]);
  const list = await waitRows(page, '#box', '(r) => r.some((x) => x.name === "two.txt" && x.state === "ready")', 10_000, 'second batch ready');
  assert.deepEqual(list.map((r) => `${r.name}:${r.state}`), ['two.txt:ready'], 'the reported batch left the list');
  assert.equal(await page.textContent('#box .skiff-count'), '1 of 3 files', 'the footer counts the new batch');
  assert.doesNotMatch(await page.textContent('#box .skiff-live'), /uploaded/, 'the live region does not report the old batch');
  assert.ok(await page.isEnabled('#box .skiff-upload'), 'Upload is available for the new batch');
  await page.click('#box .skiff-upload');
  await waitEvent(page, 'b', 'onUploadDone', 15_000, 2);
  const second = (await events(page, 'b')).filter((e) => e.name === 'onUploadDone')[1].args[0];
  assert.deepEqual(second.filesUploaded.map((f) => f.filename), ['two.txt']);
});

e2e('5. a touch-only device is not offered "Select a Folder"; a desktop is', 30_000, async ({ page }) => {
  await addContainers(page, ['desk']);
  await openPicker(page, 'desk', cfg({ displayMode: 'inline', container: '#desk' }));
  assert.equal(await page.locator('#desk .skiff-browse-folder').count(), 1, 'a desktop can pick folders');

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  await cdp.send('Emulation.setEmulatedMedia', { features: [{ name: 'pointer', value: 'coarse' }, { name: 'any-pointer', value: 'coarse' },
    { name: 'hover', value: 'none' }, { name: 'any-hover', value: 'none' }] });
  const media = await page.evaluate(() => [matchMedia('(any-pointer: fine)').matches, matchMedia('(any-pointer: coarse)').matches]);
  assert.deepEqual(media, [false, true], 'the emulated device has only a coarse pointer');
  await addContainers(page, ['phone']);
  await openPicker(page, 'phone', cfg({ displayMode: 'inline', container: '#phone' }));
  assert.equal(await page.locator('#phone .skiff-browse').count(), 1, 'files can still be picked');
  assert.equal(await page.locator('#phone .skiff-browse-folder').count(), 0, 'no folder button on a touch-only device');
  assert.equal(await page.locator('#phone .skiff-folder-input').count(), 0);
  await cdp.detach();
});
