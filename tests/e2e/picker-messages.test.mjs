// End-to-end: what the picker tells people when something goes wrong, and how it writes sizes.
// A failed row shows a short sentence for its error code in the picker's language; the app's
// onFileUploadFailed and the console keep the technical message (request, status, code).
//
// Run: node --test tests/e2e/picker-messages.test.mjs   (or node --test tests/e2e/)
// Needs /usr/bin/chromium (or CHROMIUM_BIN), dist/ (scripts/build-wasm.sh) and the server binary
// ($SKIFF_SERVER_BIN or target/release/skiff-server, built on demand).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/server.mjs';
import { dropFiles, makeFiles, openPicker, waitEvent, waitRows } from './support/picker-page.mjs';
import { addContainers, cfg, e2e, pickerSuite } from './support/picker-suite.mjs';

const DE = JSON.parse(readFileSync(join(REPO_ROOT, 'www', 'lang', 'de.json'), 'utf8'));
const PRIVATE_LINK = 'The link points to a private or local address, which the server is not allowed to fetch.';

// The server here does not allow private addresses, so a loopback link is refused.
pickerSuite();

e2e('1. a refused link: the row says why in German; the callback and the console keep the details', 30_000, async (tab) => {
  const { page } = tab;
  await addContainers(page, ['box']);
  await openPicker(page, 'm', cfg({ displayMode: 'inline', container: '#box', lang: 'de', fromSources: ['url'] }, {
    fns: { onFileUploadFailed: '(file, error) => { window.failedError = { message: error.message, code: error.code, status: error.status }; }' },
  }));
  const link = 'http://127.0.0.1:9/private.bin';
  await page.fill('#box input.skiff-url-input', link);
  await page.click('#box button.skiff-url-add');
  await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the link row');
  await page.click('#box .skiff-upload');
  await waitEvent(page, 'm', 'onFileUploadFailed', 20_000);
  const [row] = await waitRows(page, '#box', '(r) => r[0]?.state === "failed"', 10_000, 'the failed row');

  const sentence = DE[PRIVATE_LINK];
  assert.ok(sentence, 'de.json translates the sentence');
  assert.equal(row.note, DE['Failed: {reason}'].replace('{reason}', sentence), 'a short German sentence, not the HTTP details');
  assert.doesNotMatch(row.note, /HTTP|url_not_allowed|127\.0\.0\.1/, 'no technical detail in the row');

  const err = await page.evaluate(() => window.failedError);
  assert.match(err.message, /POST .*\/process/, `the Error names the request: ${err.message}`);
  assert.match(err.message, /HTTP 400/, 'and the status');
  assert.match(err.message, /url_not_allowed/, 'and the code');
  assert.equal(err.code, 'url_not_allowed', 'error.code');
  assert.equal(err.status, 400, 'error.status');
  assert.ok(tab.console.some((l) => l.startsWith('[console.warning]') && l.includes('url_not_allowed') && l.includes('/process')),
    `the console has the technical message: ${tab.console.join('\n')}`);
});

e2e('2. sizes in decimal units: a 40 000 000-byte file reads "40 MB"', 30_000, async ({ page }) => {
  await addContainers(page, ['box']);
  await openPicker(page, 's', cfg({ displayMode: 'inline', container: '#box' }));
  await makeFiles(page, [{ id: 'forty', name: 'forty.bin', type: 'application/octet-stream', size: 40_000_000 }]);
  await dropFiles(page, '#box .skiff-dialog', ['forty']);
  await waitRows(page, '#box', '(r) => r.length === 1 && r[0].state === "ready"', 10_000, 'the file row');
  const info = await page.textContent('#box li.skiff-file .skiff-file-info');
  assert.equal(info, '40 MB · application/octet-stream');
});
