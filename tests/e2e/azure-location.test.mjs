// End-to-end: `store.location = "azure"` with Azure Blob Storage as a location of the config
// (`[locations.azure]`), on a real Azurite (npm). Unmodified filestack-js 4.3.8 in Chromium
// uploads with `{ location: 'azure' }`:
//
//   1. complete answers InTransit; the file is readable at once; the transfer queue moves it to
//      the container; then its metadata says Complete and location azure, the blob is there, and
//      its fp.upload webhook arrives only then (status Stored, with the tags);
//   2. Azurite down while a file is on its way: the file stays usable, its metadata shows the
//      failed attempts and why; once Azurite is back, a retry moves it.
//
// Run: node --test tests/e2e/azure-location.test.mjs
// Needs Chromium, npm's azurite and @azure/storage-blob (npm test installs them) and the server.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server.mjs';
import { launchBrowser, openPage } from './support/browser.mjs';
import { startStaticServer } from './support/static.mjs';
import { startAzurite } from './support/azurite.mjs';
import { cleanUp, deadlineTest } from './support/diag.mjs';
import { startReceiver } from './support/webhooks.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
let az;
let server;
let site;
let browser;
let tab;
let work;
let hooks; // the webhook receiver: { url, events: [{ at, body }] , close }

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  [az, site, hooks] = await Promise.all([startAzurite({ container: 'skiff' }), startStaticServer(), startReceiver()]);
  work = mkdtempSync(join(tmpdir(), 'skiff-e2e-azure-'));
  const config = join(work, 'skiff.toml');
  writeFileSync(config, `${az.locationToml('azure')}\n`);
  server = await startServer({ name: 'azure', allowPrivateUrls: true, extraArgs: ['--config', config, '--webhook', hooks.url] });
  browser = await launchBrowser();
  tab = await openPage(browser, `${site.url}/`, () => [server.url]);
}, { timeout: 120_000 });

after(async () => {
  await cleanUp([() => browser?.close(), () => site?.stop(), () => server?.stop(), () => az?.stop(), () => hooks?.close(),
    () => work && rmSync(work, { recursive: true, force: true })]);
});

function e2e(name, deadlineMs, fn) {
  deadlineTest(test, name, deadlineMs, {
    mark: () => {
      if (!tab) throw new Error('setup failed (see the before hook)');
      return { server: server.log().length, console: tab.console.length };
    },
    diag: (from) => ['', '--- browser console ---', ...tab.console.slice(from.console), '--- server log ---',
      server.log().slice(from.server), '--- azurite ---', az.log().slice(-2000)].join('\n'),
  }, fn);
}

/** filestack-js `client.upload(file, { tags }, { location: 'azure' })` in the page. */
async function uploadToAzure(id, size, tags) {
  const file = await tab.page.evaluate(([i, s]) => window.skiffRandomFile(i, s, `${i}.bin`, 'application/octet-stream'), [id, size]);
  const r = await tab.page.evaluate(async ({ base, apikey, id, tags }) => {
    const client = window.skiffClient(base, apikey);
    try {
      const res = await client.upload(window.skiffFiles[id], { tags }, { location: 'azure', filename: `${id}.bin` });
      return { ok: true, res: JSON.parse(JSON.stringify(res)) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e) };
    }
  }, { base: server.url, apikey: server.apikey, id, tags });
  assert.ok(r.ok, `filestack-js upload failed: ${JSON.stringify(r.error)}`);
  return { file, res: r.res };
}

const metadata = (handle) => fetch(`${server.url}/${handle}/metadata`).then((r) => r.json());

async function untilComplete(handle, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await metadata(handle);
    if (m.status === 'Complete') return { m, at: Date.now() };
    if (Date.now() > deadline) throw new Error(`still not Complete after ${ms} ms: ${JSON.stringify(m)}`);
    await sleep(100);
  }
}

async function assertBytes(handle, file) {
  const body = Buffer.from(await fetch(`${server.url}/${handle}`).then((r) => r.arrayBuffer()));
  assert.equal(sha256(body), file.sha256, `bytes of ${handle}`);
}

e2e('1. store.location azure: in transit, moved to the container, Complete, webhook after', 60_000, async () => {
  const tags = { to: 'azure', client: 'filestack-js' };
  const { file, res } = await uploadToAzure('az1', 7 * MiB + 5, tags);
  assert.equal(res.status, 'InTransit', JSON.stringify(res));
  await assertBytes(res.handle, file); // usable at once
  const { m, at } = await untilComplete(res.handle, 20_000);
  assert.equal(m.location, 'azure');
  assert.deepEqual(await az.blobs(`objects/${res.handle}`), [`objects/${res.handle}`]);
  await assertBytes(res.handle, file); // now from Azure
  for (let i = 0; i < 50 && !hooks.events.some((e) => e.body.text?.handle === res.handle); i++) await sleep(100);
  const event = hooks.events.find((e) => e.body.text?.handle === res.handle);
  assert.ok(event, 'the fp.upload webhook arrives');
  assert.equal(event.body.text.status, 'Stored');
  assert.deepEqual(event.body.text.upload_tags, tags);
  assert.ok(event.at >= at - 1000, 'not before the transfer');
});

e2e('2. Azurite down meanwhile: failures shown, retried until it is back', 90_000, async () => {
  await az.halt();
  const { file, res } = await uploadToAzure('az2', 1 * MiB + 9, { to: 'azure', outage: 'yes' });
  let m;
  for (let i = 0; i < 100; i++) {
    m = await metadata(res.handle);
    if (m.transfer?.attempts >= 1) break;
    await sleep(100);
  }
  assert.equal(m.status, 'InTransit');
  assert.ok(m.transfer.attempts >= 1 && m.transfer.failed === false && m.transfer.last_error, JSON.stringify(m));
  await assertBytes(res.handle, file); // still usable where it landed
  await az.resume();
  await untilComplete(res.handle, 60_000); // the next attempt (5 s, then 10 s, …) gets through
  assert.deepEqual(await az.blobs(`objects/${res.handle}`), [`objects/${res.handle}`]);
  await assertBytes(res.handle, file);
  assert.match(server.log(), /transfer failed; will try again/);
});
