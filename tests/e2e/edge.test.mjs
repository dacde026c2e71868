// End-to-end: an ingestion network of two skiff-server instances on one PostgreSQL (state) and
// one SeaweedFS bucket (the final storage): a core instance, and an edge (`region = "eu"`,
// `edge = true`) whose uploads land on its own disk. Unmodified filestack-js 4.3.8 in Chromium
// uploads to the edge while the bucket is down, so the file cannot move on yet:
//
//   1. the handle Skiff's start response announces is `Started` in filestack-js's
//      `client.metadata`, asked of the core;
//   2. complete answers InTransit; the filelink serves the bytes at once, from the edge and
//      through the core (which redirects to the edge), in the page and outside it; the
//      metadata says InTransit on both;
//   3. the bucket comes back: the edge's transfer worker moves the file, the metadata says
//      Complete, the core serves it from the bucket itself, the edge's disk is empty again, and
//      the fp.upload webhook arrives only then.
//
// Run: node --test tests/e2e/edge.test.mjs   (about half a minute)
// Needs Chromium, SeaweedFS and PostgreSQL's server programs (scripts/setup.sh) and the server.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './support/server.mjs';
import { launchBrowser, openPage } from './support/browser.mjs';
import { startStaticServer } from './support/static.mjs';
import { startSeaweed } from './support/seaweed.mjs';
import { startPostgres } from './support/postgres.mjs';
import { cleanUp, deadlineTest } from './support/diag.mjs';
import { startReceiver } from './support/webhooks.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
let pg;
let s3;
let core;
let edge;
let site;
let hooks;
let browser;
let tab;
let work;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  [pg, s3, site, hooks] = await Promise.all([startPostgres(), startSeaweed({ bucket: 'edges' }), startStaticServer(),
    startReceiver()]);
  work = mkdtempSync(join(tmpdir(), 'skiff-e2e-edge-'));
  const shared = `${s3.storageToml({ prefix: 'final' })}\n\n[state]\nkind = "postgres"\nurl = "${pg.url}"\n`;
  const coreToml = join(work, 'core.toml');
  const edgeToml = join(work, 'edge.toml');
  writeFileSync(coreToml, shared);
  // Top-level keys first: TOML puts everything after a [table] header inside it.
  writeFileSync(edgeToml, `region = "eu"\nedge = true\n\n[landing]\npath = "${join(work, 'landing')}"\n\n${shared}`);
  const hook = ['--webhook', hooks.url];
  // One after the other: the first runs the schema's migrations.
  core = await startServer({ name: 'core', allowPrivateUrls: true, extraArgs: ['--config', coreToml, ...hook] });
  edge = await startServer({ name: 'edge', allowPrivateUrls: true, extraArgs: ['--config', edgeToml, ...hook] });
  browser = await launchBrowser();
  tab = await openPage(browser, `${site.url}/`, () => [core.url, edge.url]);
}, { timeout: 180_000 });

after(async () => {
  await cleanUp([() => browser?.close(), () => site?.stop(), () => core?.stop(), () => edge?.stop(), () => s3?.stop(),
    () => pg?.remove(), () => hooks?.close(), () => work && rmSync(work, { recursive: true, force: true })]);
});

function e2e(name, deadlineMs, fn) {
  deadlineTest(test, name, deadlineMs, {
    mark: () => {
      if (!tab) throw new Error('setup failed (see the before hook)');
      return { core: core.log().length, edge: edge.log().length, console: tab.console.length };
    },
    diag: (from) => ['', '--- browser console ---', ...tab.console.slice(from.console), '--- core ---',
      core.log().slice(from.core), '--- edge ---', edge.log().slice(from.edge)].join('\n'),
  }, fn);
}

/** filestack-js `client.metadata(handle)` in the page, against `base`. */
const metadata = (base, handle) => tab.page.evaluate(async ({ base, apikey, handle }) => {
  const client = window.skiffClient(base, apikey);
  return JSON.parse(JSON.stringify(await client.metadata(handle)));
}, { base, apikey: core.apikey, handle });

const landed = () => readdirSync(join(work, 'landing'), { recursive: true }).filter((f) => /^objects\/[A-Za-z0-9]{20}$/.test(f)).map((f) => f.slice('objects/'.length));

e2e('1. an upload begun at the edge is Started in filestack-js\'s metadata, asked of the core', 30_000, async () => {
  const start = await fetch(`${edge.url}/multipart/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apikey: edge.apikey, filename: 'later.bin', mimetype: 'application/octet-stream', size: 5,
      store: { location: 's3' } }),
  }).then((r) => r.json());
  assert.equal(start.location_region, 'eu');
  assert.match(start.handle, /^[A-Za-z0-9]{20}$/);
  const m = await metadata(core.url, start.handle);
  assert.equal(m.status, 'Started', JSON.stringify(m));
});

e2e('2-3. in transit at the edge, served through both instances; then Complete in the bucket', 90_000, async () => {
  // The final storage is out of reach, so the file stays at the edge until it is back.
  await s3.halt();
  const file = await tab.page.evaluate(() => window.skiffRandomFile('e1', 3 * 1024 * 1024 + 17, 'e1.bin', 'application/octet-stream'));
  const tags = { at: 'edge' };
  const r = await tab.page.evaluate(async ({ base, apikey, tags }) => {
    const client = window.skiffClient(base, apikey);
    try {
      const res = await client.upload(window.skiffFiles.e1, { tags }, { filename: 'e1.bin' });
      return { ok: true, res: JSON.parse(JSON.stringify(res)) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e) };
    }
  }, { base: edge.url, apikey: edge.apikey, tags });
  assert.ok(r.ok, `filestack-js upload to the edge failed: ${JSON.stringify(r.error)}`);
  const { handle, status } = r.res;
  assert.equal(status, 'InTransit', JSON.stringify(r.res));
  assert.deepEqual(landed(), [handle], 'the bytes wait on the edge\'s disk');

  // The filelink works at once, from either instance; the core sends the reader to the edge.
  for (const base of [edge.url, core.url]) {
    const inPage = await tab.page.evaluate((url) => window.skiffSha256OfUrl(url), `${base}/${handle}`);
    assert.equal(inPage.sha256, file.sha256, `in the page, via ${base}`);
  }
  const redirect = await fetch(`${core.url}/${handle}`, { redirect: 'manual' });
  assert.equal(redirect.status, 307);
  assert.equal(redirect.headers.get('location'), `${edge.url}/${handle}`);
  const followed = Buffer.from(await fetch(`${core.url}/${handle}`).then((x) => x.arrayBuffer()));
  assert.equal(sha256(followed), file.sha256, 'outside the page, through the core');
  for (const base of [core.url, edge.url]) assert.equal((await metadata(base, handle)).status, 'InTransit');
  await sleep(1500); // at least one failed attempt to move it
  assert.ok(!hooks.events.some((e) => e.body.text?.handle === handle), 'no webhook while in transit');

  await s3.resume();
  let m;
  for (let i = 0; i < 300; i++) {
    m = await metadata(core.url, handle);
    if (m.status === 'Complete') break;
    await sleep(100);
  }
  assert.equal(m.status, 'Complete', JSON.stringify(m));
  const movedAt = Date.now();
  assert.ok((await s3.list('final/objects/')).includes(`final/objects/${handle}`), 'in the bucket');
  assert.deepEqual(landed(), [], 'the edge\'s copy is gone');
  const direct = await fetch(`${core.url}/${handle}`, { redirect: 'manual' });
  assert.equal(direct.status, 200, 'the core serves it from the bucket itself');
  assert.equal(sha256(Buffer.from(await direct.arrayBuffer())), file.sha256);
  for (let i = 0; i < 100 && !hooks.events.some((e) => e.body.text?.handle === handle); i++) await sleep(100);
  const event = hooks.events.find((e) => e.body.text?.handle === handle);
  assert.ok(event, 'the fp.upload webhook arrives');
  assert.equal(event.body.text.status, 'Stored');
  assert.deepEqual(event.body.text.upload_tags, tags);
  assert.ok(event.at >= movedAt - 5000, 'not before the transfer');
});
