// End-to-end: two skiff-server instances sharing one PostgreSQL (state) and one SeaweedFS bucket
// (storage) behind HAProxy, which sends each request to the next instance in turn and
// terminates TLS. Clients reach only the balancer:
//
//   1. Skiff's client, regular (parts straight to the bucket) and intelligent (chunks through
//      both instances): both instances answer calls of the same upload; either serves the file;
//   2. unmodified filestack-js 4.3.8, regular and intelligent, with tags;
//   3. unmodified filestack-python 4.0.0 (tests/peers/python/upload_via.py), both modes;
//   4. PostgreSQL restarted mid-upload: the instances answer 503 state_unavailable meanwhile,
//      the client retries, the upload completes;
//   5. the bucket's server stopped for 30 s mid-upload: the client retries until it is back,
//      and every file stored before is still there;
//   6. one instance killed mid-upload: the upload finishes through the other.
//
// Run: node --test tests/e2e/cluster.test.mjs   (about a minute and a half)
// Needs Chromium, SeaweedFS, PostgreSQL's server programs, HAProxy, the peers' venv (all from
// scripts/setup.sh and tests/peers/python/run.sh), dist/ and the server binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, freePort, startServer } from './support/server.mjs';
import { launchBrowser, openPage, withUplink } from './support/browser.mjs';
import { ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { startStaticServer } from './support/static.mjs';
import { startSeaweed } from './support/seaweed.mjs';
import { startPostgres } from './support/postgres.mjs';
import { startBalancer } from './support/balancer.mjs';
import { cleanUp, deadlineTest } from './support/diag.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

const MiB = 1024 * 1024;
const PYTHON = join(REPO_ROOT, '.cache', 'peers-venv', 'bin', 'python');

let pg;
let s3;
let lb;
let a; // the two instances
let b;
let skiffSite;
let fsSite;
let browser;
let skiffTab;
let fsTab;
let work;
const stored = []; // { handle, sha256 } of every file acknowledged, checked again after the faults

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ensureDist();
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run tests/peers/python/run.sh once (npm test does)`);
  [pg, s3, skiffSite, fsSite] = await Promise.all([startPostgres(), startSeaweed({ bucket: 'cluster' }), startSkiffSite(), startStaticServer()]);
  work = mkdtempSync(join(tmpdir(), 'skiff-e2e-cluster-'));
  const config = join(work, 'skiff.toml');
  writeFileSync(config, `${s3.storageToml({ prefix: 'skiff' })}\n\n[state]\nkind = "postgres"\nurl = "${pg.url}"\n`);
  // Every URL an instance hands out (location_url, part URLs, file URLs) is the balancer's.
  const lbPort = await freePort();
  const args = ['--config', config, '--public-url', `https://127.0.0.1:${lbPort}`];
  // One after the other: the first runs the schema's migrations.
  a = await startServer({ name: 'a', extraArgs: args });
  b = await startServer({ name: 'b', extraArgs: args });
  lb = await startBalancer([a.port, b.port], { port: lbPort });
  browser = await launchBrowser();
  const origins = () => [lb.url, s3.endpoint];
  skiffTab = await openPage(browser, `${skiffSite.url}/`, origins, { ignoreHTTPSErrors: true });
  fsTab = await openPage(browser, `${fsSite.url}/`, origins, { ignoreHTTPSErrors: true });
}, { timeout: 180_000 });

after(async () => {
  const steps = [
    () => browser?.close(),
    () => skiffSite?.stop(),
    () => fsSite?.stop(),
    () => lb?.stop(),
    () => a?.stop(),
    () => b?.stop(),
    () => s3?.stop(),
    () => pg?.remove(),
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
      return { a: a.log().length, b: b.log().length, lb: lb.log().length, skiff: skiffTab.console.length };
    },
    diag: (from) => {
      const ex = (tab) => tab.exchanges.map((e) => `${e.method} ${e.url.slice(0, 160)} -> ${e.status}`);
      return ['', '--- Skiff page console ---', ...skiffTab.console.slice(from.skiff),
        '--- Skiff page exchanges ---', ...ex(skiffTab), '--- filestack-js page exchanges ---', ...ex(fsTab),
        '--- instance a ---', a.log().slice(from.a), '--- instance b ---', b.log().slice(from.b),
        '--- HAProxy ---', lb.log().slice(from.lb), '--- PostgreSQL (tail) ---', pg.log().slice(-2000)].join('\n');
    },
  }, fn);
}

const makeFile = (tab, id, size) =>
  tab.page.evaluate(([i, s]) => window.skiffRandomFile(i, s, `${i}.bin`, 'application/octet-stream'), [id, size]);

/** Skiff's `client.upload` in the page, through the balancer. */
async function skiffUpload(id, uploadOptions) {
  const r = await skiffTab.page.evaluate(async ({ base, apikey, id, uploadOptions }) => {
    try {
      const client = window.skiff.init(apikey, { baseUrl: base });
      const res = await client.upload(window.skiffFiles[id], uploadOptions, { filename: `${id}.bin` });
      return { ok: true, res: JSON.parse(JSON.stringify(res)) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribe(e) };
    }
  }, { base: lb.url, apikey: a.apikey, id, uploadOptions });
  assert.ok(r.ok, `client.upload (${id}) failed: ${JSON.stringify(r.error)}`);
  return r.res;
}

/** Either instance, asked directly, serves the file's bytes. */
async function assertServedByBoth(handle, expected) {
  for (const instance of [a, b]) {
    const res = await fetch(`${instance.url}/${handle}`);
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, `instance ${instance.name}: GET /${handle}: ${res.status} ${body.subarray(0, 200)}`);
    assert.equal(sha256(body), expected.sha256, `instance ${instance.name}: bytes of ${handle}`);
  }
  stored.push({ handle, sha256: expected.sha256 });
}

/** How many requests to `path` each instance logged since `from`. */
function served(from, path) {
  const count = (s, at) => s.log().slice(at).split('\n').filter((l) => l.includes(`path=${path}}`) && l.includes('started processing')).length;
  return { a: count(a, from.a), b: count(b, from.b) };
}

// ---------------------------------------------------------------------------------------------

e2e('1. Skiff client through the balancer: regular and intelligent, calls on both instances', 120_000, async (from) => {
  const regular = await makeFile(skiffTab, 'reg', 12 * MiB + 11);
  const res = await skiffUpload('reg', { tags: { mode: 'regular' } });
  assert.deepEqual(res.uploadTags, { mode: 'regular' });
  const direct = skiffTab.exchanges.filter((e) => e.method === 'PUT');
  assert.ok(direct.length >= 2 && direct.every((e) => e.origin === s3.endpoint), 'regular parts go straight to the bucket');
  await assertServedByBoth(res.handle, regular);
  const calls = served(from, '/multipart/upload');
  assert.ok(calls.a > 0 && calls.b > 0, `the upload calls of one upload reach both instances: ${JSON.stringify(calls)}`);

  const fii = await makeFile(skiffTab, 'fii', 9 * MiB + 5);
  const after1 = { a: a.log().length, b: b.log().length };
  const res2 = await skiffUpload('fii', { intelligent: true, tags: { mode: 'intelligent' } });
  await assertServedByBoth(res2.handle, fii);
  // Round robin over the interleaved calls may send every chunk to one instance; the upload's
  // calls as a whole reach both.
  const calls2 = (s, at) => s.log().slice(at).split('\n').filter((l) => /path=\/multipart\//.test(l) && l.includes('started processing')).length;
  const both = { a: calls2(a, after1.a), b: calls2(b, after1.b) };
  assert.ok(both.a > 0 && both.b > 0, `the intelligent upload's calls reach both instances: ${JSON.stringify(both)}`);
});

e2e('2. filestack-js 4.3.8 through the balancer, regular and intelligent, with tags', 120_000, async () => {
  for (const [id, size, intelligent] of [['fsreg', 11 * MiB + 7, false], ['fsfii', 9 * MiB + 9, true]]) {
    const file = await makeFile(fsTab, id, size);
    const tags = { client: 'filestack-js', id };
    const r = await fsTab.page.evaluate(async ({ base, apikey, id, tags, intelligent }) => {
      const client = window.skiffClient(base, apikey);
      try {
        const res = await client.upload(window.skiffFiles[id], { tags, intelligent, retry: 5 }, { filename: `${id}.bin` });
        return { ok: true, res: JSON.parse(JSON.stringify(res)) };
      } catch (e) {
        return { ok: false, error: window.skiffDescribeError(e), errors: window.skiffErrors.slice() };
      }
    }, { base: lb.url, apikey: a.apikey, id, tags, intelligent });
    assert.ok(r.ok, `filestack-js (${id}) failed: ${JSON.stringify(r)}`);
    await assertServedByBoth(r.res.handle, file);
  }
});

e2e('3. filestack-python 4.0.0 through the balancer, regular and intelligent', 120_000, async () => {
  for (const mode of ['regular', 'intelligent']) {
    const bytes = randomBytes(mode === 'regular' ? 11 * MiB + 3 : 9 * MiB + 1);
    const path = join(work, `${mode}.bin`);
    writeFileSync(path, bytes);
    const tags = { client: 'filestack-python', mode };
    const r = spawnSync(PYTHON, [join(REPO_ROOT, 'tests', 'peers', 'python', 'upload_via.py'), lb.url, lb.cert, a.apikey, path,
      `${mode}.bin`, JSON.stringify(tags), mode], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `filestack-python (${mode}): ${r.stdout}${r.stderr}`);
    // The answer is the last line (filestack-python may print before it).
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1));
    assert.deepEqual(res.upload_tags, tags);
    await assertServedByBoth(res.handle, { sha256: sha256(bytes) });
  }
});

e2e('4. PostgreSQL restarted mid-upload: 503s meanwhile, the upload completes', 150_000, async () => {
  const file = await makeFile(skiffTab, 'pg', 24 * MiB);
  const upload = withUplink(skiffTab.page, 4 * MiB, () => skiffUpload('pg', { intelligent: true, tags: { fault: 'postgres' } }));
  await sleep(1500);
  pg.stop();
  await sleep(3000);
  pg.start();
  const res = await upload;
  await assertServedByBoth(res.handle, file);
  const unavailable = skiffTab.exchanges.filter((e) => e.status === 503).length;
  const logged = `${a.log()}${b.log()}`.includes('database unavailable');
  assert.ok(unavailable > 0 || logged, 'the outage was seen (503 state_unavailable)');
});

e2e('5. the bucket stopped for 30 s mid-upload: the client waits it out, nothing stored is lost', 180_000, async (from) => {
  const file = await makeFile(skiffTab, 's3', 24 * MiB + 3);
  const upload = withUplink(skiffTab.page, 4 * MiB, () => skiffUpload('s3', { tags: { fault: 's3' }, retry: 20 }));
  await sleep(2000);
  await s3.halt();
  await sleep(30_000);
  await s3.resume();
  const res = await upload;
  const consoleFrom = from.skiff;
  const refused = skiffTab.console.slice(consoleFrom).filter((l) => l.startsWith('[requestfailed]') && l.includes(s3.endpoint)).length;
  const unavailable = skiffTab.exchanges.filter((e) => e.status === 503).length;
  assert.ok(refused + unavailable > 0, 'the outage was seen (part PUTs refused or 503 storage_unavailable)');
  await assertServedByBoth(res.handle, file);
  for (const f of stored) {
    const body = Buffer.from(await (await fetch(`${b.url}/${f.handle}`)).arrayBuffer());
    assert.equal(sha256(body), f.sha256, `${f.handle} after the bucket's outage`);
  }
});

e2e('6. one instance killed mid-upload: the upload finishes through the other', 150_000, async () => {
  const file = await makeFile(skiffTab, 'kill', 24 * MiB + 1);
  const upload = withUplink(skiffTab.page, 4 * MiB, () => skiffUpload('kill', { intelligent: true, tags: { fault: 'instance' } }));
  await sleep(2000);
  process.kill(a.pid, 'SIGKILL');
  const res = await upload;
  const body = Buffer.from(await (await fetch(`${b.url}/${res.handle}`)).arrayBuffer());
  assert.equal(sha256(body), file.sha256, 'bytes served by the instance left');
});
