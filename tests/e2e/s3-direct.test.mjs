// End-to-end: skiff-server keeping files in an S3 bucket (a real SeaweedFS), with browsers
// sending regular parts straight to the bucket through presigned URLs (docs/protocol.md §3.8):
//
//   0. `skiff-server s3-setup` finds the bucket's CORS rule missing for the two page origins,
//      then puts it (--apply) and finds it there;
//   1. Skiff's client, regular: every part PUT goes to the bucket, none to the server; tags
//      echoed; the object is in the bucket under the configured prefix; bytes intact;
//   2. Skiff's client, intelligent: chunks come to the server, which joins them into the bucket;
//   3. unmodified filestack-js 4.3.8, regular and intelligent, with tags;
//   4. a file stored to another location (`[locations.archive]`, another prefix of the bucket):
//      InTransit and readable at once, then moved by the transfer queue, Stored, its webhook sent.
//
// filestack-python does the same in tests/peers/python/test_s3_storage.py.
//
// Run: node --test tests/e2e/s3-direct.test.mjs
// Needs Chromium, SeaweedFS (scripts/setup.sh), dist/ and the server binary (as the other e2e tests).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverBinary, startServer } from './support/server.mjs';
import { launchBrowser, openPage } from './support/browser.mjs';
import { ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { startStaticServer } from './support/static.mjs';
import { startSeaweed } from './support/seaweed.mjs';
import { cleanUp, deadlineTest } from './support/diag.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
const PREFIX = 'skiff';

let s3; // SeaweedFS with the bucket
let server; // skiff-server on the bucket
let skiffSite; // Skiff's dist/ and test page
let fsSite; // filestack-js's build and test page
let browser;
let skiffTab;
let fsTab;
let work; // the config file's folder
let config;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** `skiff-server --config <config> s3-setup ...args`: status and output. */
function s3Setup(...args) {
  const r = spawnSync(serverBinary(), ['--config', config, 's3-setup', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

before(async () => {
  ensureDist();
  [s3, skiffSite, fsSite] = await Promise.all([startSeaweed({ bucket: 'uploads' }), startSkiffSite(), startStaticServer()]);
  work = mkdtempSync(join(tmpdir(), 'skiff-e2e-s3-'));
  config = join(work, 'skiff.toml');
  writeFileSync(config, [
    s3.storageToml({ prefix: PREFIX }),
    s3.storageToml({ prefix: 'archive' }).replace('[storage]', '[locations.archive]'),
    '',
  ].join('\n\n'));
  server = await startServer({ name: 's3', extraArgs: ['--config', config] });
  browser = await launchBrowser();
  const origins = () => [server.url, s3.endpoint];
  skiffTab = await openPage(browser, `${skiffSite.url}/`, origins);
  fsTab = await openPage(browser, `${fsSite.url}/`, origins);
}, { timeout: 120_000 });

after(async () => {
  const steps = [
    () => browser?.close(),
    () => skiffSite?.stop(),
    () => fsSite?.stop(),
    () => server?.stop(),
    () => s3?.stop(),
    () => work && rmSync(work, { recursive: true, force: true }),
  ];
  await cleanUp(steps);
});

function e2e(name, deadlineMs, fn) {
  deadlineTest(test, name, deadlineMs, {
    mark: () => {
      if (!skiffTab || !fsTab) throw new Error('setup failed (see the before hook)');
      skiffTab.clearExchanges();
      fsTab.clearExchanges();
      return { server: server.log().length, skiff: skiffTab.console.length, fs: fsTab.console.length };
    },
    diag: (from) => {
      const ex = (tab) => tab.exchanges.map((e) => `${e.method} ${e.url} -> ${e.status}`);
      return ['', '--- Skiff page console ---', ...skiffTab.console.slice(from.skiff),
        '--- Skiff page exchanges ---', ...ex(skiffTab), '--- filestack-js page console ---', ...fsTab.console.slice(from.fs),
        '--- filestack-js page exchanges ---', ...ex(fsTab), '--- server log ---', server.log().slice(from.server),
        '--- SeaweedFS log (tail) ---', s3.log().slice(-3000)].join('\n');
    },
  }, fn);
}

const makeFile = (tab, id, size, name) =>
  tab.page.evaluate(([i, s, n]) => window.skiffRandomFile(i, s, n, 'application/octet-stream'), [id, size, name]);

/** The stored bytes, read through skiff-server, equal the page's file; the object is in the bucket. */
async function assertStored(handle, expected) {
  const res = await fetch(`${server.url}/${handle}`);
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `GET /${handle}: ${res.status} ${body.subarray(0, 200)}`);
  assert.equal(body.length, expected.size);
  assert.equal(sha256(body), expected.sha256, 'SHA-256 of the stored bytes');
  const objects = await s3.list(`${PREFIX}/objects/`);
  assert.ok(objects.includes(`${PREFIX}/objects/${handle}`), `${handle} not in the bucket: ${objects.join(', ')}`);
}

/** Where the part PUTs of the last upload went: { bucket, server }. */
function putTargets(tab) {
  const puts = tab.exchanges.filter((e) => e.method === 'PUT');
  return {
    bucket: puts.filter((e) => e.origin === s3.endpoint && e.status === 200).length,
    server: puts.filter((e) => e.origin === server.url).length,
  };
}

/** The complete exchange of the last upload, once the browser has reported its answer. */
async function completeOf(tab) {
  for (let i = 0; i < 250; i++) {
    const found = tab.exchanges.find((e) => e.method === 'POST' && e.path === '/multipart/complete' && 'responseBody' in e);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the browser never reported the complete call');
}

// ---------------------------------------------------------------------------------------------

e2e('0. s3-setup finds the CORS rule missing, applies it, then finds it', 60_000, async () => {
  const origins = [skiffSite.url, fsSite.url].flatMap((o) => ['--origin', o]);
  const check = s3Setup(...origins);
  assert.notEqual(check.status, 0, check.out);
  assert.match(check.out, new RegExp(`no rule lets ${skiffSite.url} PUT`), check.out);
  assert.match(check.out, /--apply/, check.out);
  const apply = s3Setup(...origins, '--apply');
  assert.equal(apply.status, 0, apply.out);
  assert.match(apply.out, /rule applied/, apply.out);
  const again = s3Setup(...origins);
  assert.equal(again.status, 0, again.out);
  assert.match(again.out, /can send parts/, again.out);
  // The bucket now answers preflights by the rule: the page origins may PUT, others not.
  const preflight = (origin) => fetch(`${s3.endpoint}/uploads/x?partNumber=1&uploadId=u`, { method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-md5' } })
    .then((r) => r.headers.get('access-control-allow-origin'));
  assert.equal(await preflight(skiffSite.url), skiffSite.url);
  assert.equal(await preflight('http://elsewhere.test'), null);
});

e2e('1. Skiff client, regular: the parts go straight to the bucket, with tags', 90_000, async () => {
  const size = 12 * MiB + 12_345;
  const file = await makeFile(skiffTab, 'reg', size, 'regular.bin');
  const tags = { suite: 's3', mode: 'regular' };
  const r = await skiffTab.page.evaluate(async ({ base, apikey, tags }) => {
    try {
      const client = window.skiff.init(apikey, { baseUrl: base });
      const res = await client.upload(window.skiffFiles.reg, { tags }, { filename: 'regular.bin' });
      return { ok: true, res: JSON.parse(JSON.stringify(res)) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribe(e) };
    }
  }, { base: server.url, apikey: server.apikey, tags });
  assert.ok(r.ok, `client.upload failed: ${JSON.stringify(r.error)}`);
  assert.equal(r.res.size, size);
  assert.deepEqual(r.res.uploadTags, tags);
  const puts = putTargets(skiffTab);
  assert.ok(puts.bucket >= 2, `part PUTs to the bucket: ${JSON.stringify(puts)}`);
  assert.equal(puts.server, 0, 'no part may pass through skiff-server');
  await assertStored(r.res.handle, file);
});

e2e('2. Skiff client, intelligent: chunks through the server into the bucket', 90_000, async () => {
  const size = 9 * MiB + 777;
  const file = await makeFile(skiffTab, 'fii', size, 'fii.bin');
  const tags = { suite: 's3', mode: 'intelligent' };
  const r = await skiffTab.page.evaluate(async ({ base, apikey, tags }) => {
    try {
      const client = window.skiff.init(apikey, { baseUrl: base });
      const res = await client.upload(window.skiffFiles.fii, { tags, intelligent: true }, { filename: 'fii.bin' });
      return { ok: true, res: JSON.parse(JSON.stringify(res)) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribe(e) };
    }
  }, { base: server.url, apikey: server.apikey, tags });
  assert.ok(r.ok, `client.upload failed: ${JSON.stringify(r.error)}`);
  assert.deepEqual(r.res.uploadTags, tags);
  const puts = putTargets(skiffTab);
  assert.equal(puts.bucket, 0, JSON.stringify(puts));
  assert.ok(puts.server >= 2, JSON.stringify(puts));
  await assertStored(r.res.handle, file);
});

e2e('3. filestack-js 4.3.8, regular and intelligent, with tags', 120_000, async () => {
  for (const [id, size, intelligent] of [['fsreg', 13 * MiB + 5, false], ['fsfii', 9 * MiB + 3, true]]) {
    fsTab.clearExchanges();
    const file = await makeFile(fsTab, id, size, `${id}.bin`);
    const tags = { suite: 's3', client: 'filestack-js', id };
    const r = await fsTab.page.evaluate(async ({ base, apikey, id, tags, intelligent }) => {
      const client = window.skiffClient(base, apikey);
      try {
        const res = await client.upload(window.skiffFiles[id], { tags, intelligent, retry: 2 }, { filename: `${id}.bin` });
        return { ok: true, res: JSON.parse(JSON.stringify(res)) };
      } catch (e) {
        return { ok: false, error: window.skiffDescribeError(e), errors: window.skiffErrors.slice() };
      }
    }, { base: server.url, apikey: server.apikey, id, tags, intelligent });
    assert.ok(r.ok, `filestack-js upload (${id}) failed: ${JSON.stringify(r)}`);
    const puts = putTargets(fsTab);
    if (intelligent) assert.equal(puts.bucket, 0, JSON.stringify(puts));
    else {
      assert.ok(puts.bucket >= 2, `${id}: ${JSON.stringify(puts)}`);
      assert.equal(puts.server, 0, `${id}: no part may pass through skiff-server`);
    }
    const complete = await completeOf(fsTab);
    assert.deepEqual(complete?.requestBody?.upload_tags, tags, `${id}: tags sent at complete`);
    assert.deepEqual(complete?.responseBody?.upload_tags, tags, `${id}: tags echoed`);
    await assertStored(r.res.handle, file);
  }
});

e2e('4. another location: in transit and readable at once, then moved and Stored', 60_000, async () => {
  const bytes = Buffer.from(`archived ${Date.now()}\n`.repeat(5000));
  const r = await fetch(`${server.url}/api/store/archive?key=${server.apikey}&filename=archived.txt`, {
    method: 'POST', headers: { 'content-type': 'text/plain' }, body: bytes,
  });
  const stored = await r.json();
  assert.equal(r.status, 200, JSON.stringify(stored));
  const handle = stored.url.split('/').pop();
  const readable = await fetch(`${server.url}/${handle}`).then((x) => x.arrayBuffer());
  assert.equal(sha256(Buffer.from(readable)), sha256(bytes), 'readable while in transit');
  let meta;
  for (let i = 0; i < 100; i++) {
    meta = await fetch(`${server.url}/${handle}/metadata`).then((x) => x.json());
    if (meta.status === 'Complete') break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(meta.status, 'Complete', JSON.stringify(meta));
  assert.equal(meta.location, 'archive');
  assert.ok((await s3.list('archive/objects/')).includes(`archive/objects/${handle}`), 'in the location');
  assert.ok(!(await s3.list(`${PREFIX}/objects/`)).includes(`${PREFIX}/objects/${handle}`), 'gone from where it landed');
  const after = await fetch(`${server.url}/${handle}`).then((x) => x.arrayBuffer());
  assert.equal(sha256(Buffer.from(after)), sha256(bytes), 'read from the location');
  assert.match(server.log(), /file transferred/);
});
