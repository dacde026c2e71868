// End-to-end: part hashing off the page's thread. In headless Chromium, on the Skiff test page:
//
//   1. the hashing worker (dist/hash-worker.js, its own small wasm) and the page's own MD5 (the
//      uploader's md5_base64, what the page falls back to) give the same digests as Node's
//      crypto, for ranges of Blobs of many sizes (block and piece edges, random), asked one at a
//      time (each hashed alone) and all at once (hashed four side by side, over WebAssembly
//      SIMD), where a range past the end of its Blob fails alone;
//   2. an upload under a strict CSP that allows `worker-src 'self'` hashes its parts in the
//      worker, and the server (which checks every part's MD5) stores the file whole;
//   3. under `worker-src 'none'` no worker can start: the page hashes its parts itself, the
//      console says so once, and the upload completes just the same;
//   4. the package served from another origin (a CDN, with CORS): the worker starts through a
//      module of the page's own that imports it, and hashes the parts;
//   5. six uploads of 256 MiB in a row from one page, with four ranges in the worker at once, all
//      finish (a stall seen in Chromium's BYOB reads of Blob streams);
//   6. a worker left idle is let go (it holds on to what hashing took), and the next upload
//      starts a new one;
//   7. a range asked for with a pace (bytes per millisecond) is hashed no faster than that once
//      the first 8 MiB are through, alone and side by side, and at full speed once the worker
//      is told to hurry (a wait of the pace under way ends then too), with the right digests.
//
// Run: node --test tests/e2e/hash-worker.test.mjs
// Needs Chromium, dist/ and the server binary (as the other e2e tests).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer } from './support/server.mjs';
import { launchBrowser, openPage } from './support/browser.mjs';
import { DIST, ensureDist, startSkiffSite } from './support/skiff-site.mjs';
import { startStaticServer } from './support/static.mjs';
import { cleanUp } from './support/diag.mjs';

const MiB = 1024 * 1024;
let server;
let site;
let browser;

before(async () => {
  ensureDist();
  [server, site] = await Promise.all([startServer({ name: 'hash' }), startSkiffSite()]);
  browser = await launchBrowser();
}, { timeout: 120_000 });

after(async () => {
  await cleanUp([() => browser?.close(), () => site?.stop(), () => server?.stop()]);
});

/** The test page, served with `csp` as its Content-Security-Policy (none if null). */
function page(csp) {
  const query = csp ? `?csp=${encodeURIComponent(csp)}` : '';
  return openPage(browser, `${site.url}/${query}`, () => [server.url]);
}

/** The same bytes as page-files.js's skiffSeededFile(…, seed). */
function seededBytes(size, seed) {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

const md5 = (bytes) => createHash('md5').update(bytes).digest('base64');

/** Uploads a seeded file of `size` bytes with client.upload; the result, or the Error's message. */
const upload = (tab, size, seed) => tab.page.evaluate(async ({ base, apikey, size, seed }) => {
  await window.skiffSeededFile('f', size, 'parts.bin', 'application/octet-stream', seed, 1_700_000_000_000);
  try {
    const client = window.skiff.init(apikey, { baseUrl: base });
    const r = await client.upload(window.skiffFiles.f, { resume: false });
    return { ok: true, handle: r.handle };
  } catch (e) {
    return { ok: false, error: String(e?.message) };
  }
}, { base: server.url, apikey: server.apikey, size, seed });

async function assertStored(handle, size, seed) {
  const body = Buffer.from(await (await fetch(`${server.url}/${handle}`)).arrayBuffer());
  assert.equal(md5(body), md5(seededBytes(size, seed)), 'the stored file is the one uploaded');
}

const STRICT = (worker) => ["default-src 'self'", "script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'",
  `worker-src ${worker}`, `connect-src 'self' ${server.url}`, "img-src 'self' data:"].join('; ');

test('1. the worker and the page hash alike, for ranges of many sizes, one at a time and all at once', { timeout: 120_000 }, async () => {
  const tab = await page(null);
  try {
    const size = 3 * MiB + 7;
    // Ranges across block (64 B), padding (55/56 B) and piece (256 KiB) edges, and random ones.
    const ranges = [[0, 0], [0, 1], [5, 60], [0, 55], [0, 56], [0, 64], [1, 66], [0, 262_144], [3, 262_148],
      [100, 524_389], [0, size], [size - 1, size]];
    let x = 99;
    for (let i = 0; i < 24; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      const a = x % size;
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      ranges.push([a, a + (x % (size - a + 1))]);
    }
    const got = await tab.page.evaluate(async ({ size, ranges }) => {
      await window.skiffSeededFile('h', size, 'h.bin', 'application/octet-stream', 5, 0);
      const blob = window.skiffFiles.h;
      const bytes = new Uint8Array(await blob.arrayBuffer());
      const glue = await import('/dist/skiff.js');
      await glue.default();
      const worker = new Worker('/dist/hash-worker.js', { type: 'module' });
      const answer = (id) => new Promise((resolve) => {
        const on = ({ data }) => { if (data.id === id) { worker.removeEventListener('message', on); resolve(data.md5 ?? `error: ${data.error}`); } };
        worker.addEventListener('message', on);
      });
      // One message asks for a batch of ranges (what the page asked for in one turn).
      const ask = (batch) => {
        const answers = batch.map(([id]) => answer(id));
        worker.postMessage(batch.map(([id, start, end]) => ({ id, blob, start, end })));
        return Promise.all(answers);
      };
      const out = [];
      for (const [i, [a, b]] of ranges.entries()) {
        const [md5] = await ask([[i, a, b]]);
        out.push({ worker: md5, page: glue.md5_base64(bytes.subarray(a, b)) });
      }
      // All in one message, and one range that runs past the end of the Blob (it reads short: an
      // error); then the same again as one message each.
      const all = [...ranges, [size - 10, size + 10]];
      const together = await ask(all.map(([a, b], i) => [1000 + i, a, b]));
      const apart = await Promise.all(all.map(([a, b], i) => ask([[2000 + i, a, b]]).then(([md5]) => md5)));
      worker.terminate();
      return { out, together, apart };
    }, { size, ranges });
    const bytes = seededBytes(size, 5);
    for (const [i, [a, b]] of ranges.entries()) {
      const want = md5(bytes.subarray(a, b));
      assert.equal(got.out[i].worker, want, `worker, bytes ${a}..${b}`);
      assert.equal(got.out[i].page, want, `page, bytes ${a}..${b}`);
      assert.equal(got.together[i], want, `worker, all in one message, bytes ${a}..${b}`);
      assert.equal(got.apart[i], want, `worker, all at once in messages of their own, bytes ${a}..${b}`);
    }
    assert.match(got.together.at(-1), /^error: asked for 20 bytes .* got 10/);
    assert.match(got.apart.at(-1), /^error: asked for 20 bytes .* got 10/);
  } finally {
    await tab.context.close();
  }
});

test("2. under a strict CSP with worker-src 'self', an upload hashes its parts in the worker", { timeout: 120_000 }, async () => {
  const tab = await page(STRICT("'self'"));
  try {
    const size = 14 * MiB + 3;
    const r = await upload(tab, size, 21);
    assert.ok(r.ok, `${r.error}\n${tab.console.join('\n')}`);
    const workers = tab.page.workers().map((w) => w.url());
    assert.ok(workers.some((u) => u.endsWith('/dist/hash-worker.js')), `the hashing worker ran: ${workers.join(', ')}`);
    assert.ok(!tab.console.some((l) => /hashed on the page's thread/.test(l)), tab.console.join('\n'));
    await assertStored(r.handle, size, 21);
  } finally {
    await tab.context.close();
  }
});

test("3. under worker-src 'none', the page hashes its parts itself and says so once", { timeout: 120_000 }, async () => {
  const tab = await page(STRICT("'none'"));
  try {
    const size = 14 * MiB + 5;
    const r = await upload(tab, size, 22);
    assert.ok(r.ok, `${r.error}\n${tab.console.join('\n')}`);
    const again = await upload(tab, MiB * 7, 23);
    assert.ok(again.ok, again.error);
    const said = tab.console.filter((l) => /hashed on the page's thread/.test(l));
    assert.equal(said.length, 1, `said once: ${tab.console.join('\n')}`);
    await assertStored(r.handle, size, 22);
  } finally {
    await tab.context.close();
  }
});

test('4. the package from another origin (a CDN): the worker starts through a shim and hashes', { timeout: 120_000 }, async () => {
  const cdn = await startStaticServer({ page: null, folders: { '/pkg/': DIST }, cors: true });
  const tab = await page(null);
  try {
    const size = 9 * MiB + 1;
    const r = await tab.page.evaluate(async ({ pkg, base, apikey, size }) => {
      const skiff = await import(`${pkg}/index.js`);
      await window.skiffSeededFile('c', size, 'cdn.bin', 'application/octet-stream', 31, 0);
      try {
        const res = await skiff.init(apikey, { baseUrl: base }).upload(window.skiffFiles.c, { resume: false });
        return { ok: true, handle: res.handle };
      } catch (e) {
        return { ok: false, error: String(e?.message) };
      }
    }, { pkg: `${cdn.url}/pkg`, base: server.url, apikey: server.apikey, size });
    assert.ok(r.ok, `${r.error}\n${tab.console.join('\n')}`);
    assert.ok(!tab.console.some((l) => /hashed on the page's thread/.test(l)), tab.console.join('\n'));
    assert.ok(cdn.served.includes('/pkg/hash-worker.js') && cdn.served.includes('/pkg/skiff_hash_bg.wasm'),
      `the worker and its module came from the CDN: ${cdn.served.join(', ')}`);
    await assertStored(r.handle, size, 31);
  } finally {
    await tab.context.close();
    await cdn.stop();
  }
});

test('5. six uploads of 256 MiB in a row from one page all finish, four ranges in the worker at once', { timeout: 420_000 }, async () => {
  // The uploader hands the worker up to four ranges at once. With the ranges read through BYOB
  // readers, a read in Chromium now and then never settled by the fourth or fifth file of this
  // size, and that upload waited for its digest for ever.
  const tab = await page(null);
  try {
    const size = 256 * MiB;
    const took = [];
    for (let i = 0; i < 6; i++) {
      const r = await tab.page.evaluate(async ({ base, apikey, size, i }) => {
        await window.skiffSeededFile('big', size, 'big.bin', 'application/octet-stream', 40 + i, 0);
        const t0 = performance.now();
        const stalled = new Promise((resolve) => setTimeout(() => resolve({ ok: false, error: 'no result after 60 s' }), 60_000));
        const upload = window.skiff.init(apikey, { baseUrl: base }).upload(window.skiffFiles.big, { resume: false })
          .then((res) => ({ ok: true, handle: res.handle }), (e) => ({ ok: false, error: String(e?.message) }));
        const r = await Promise.race([upload, stalled]);
        delete window.skiffFiles.big;
        return { ...r, ms: Math.round(performance.now() - t0) };
      }, { base: server.url, apikey: server.apikey, size, i });
      assert.ok(r.ok, `upload ${i + 1} of 6: ${r.error}\n${tab.console.join('\n')}`);
      took.push(r.ms);
      if (i === 5) await assertStored(r.handle, size, 40 + i);
    }
    const workers = tab.page.workers().map((w) => w.url());
    assert.ok(workers.some((u) => u.endsWith('/dist/hash-worker.js')), `the hashing worker ran: ${workers.join(', ')}`);
    assert.ok(!tab.console.some((l) => /hashed on the page's thread/.test(l)), tab.console.join('\n'));
  } finally {
    await tab.context.close();
  }
});

test('6. an idle worker is let go, and the next upload starts a new one', { timeout: 120_000 }, async () => {
  const tab = await page(null);
  const hashWorkers = () => tab.page.workers().filter((w) => w.url().endsWith('/dist/hash-worker.js')).length;
  try {
    const first = await upload(tab, 7 * MiB, 50);
    assert.ok(first.ok, `${first.error}\n${tab.console.join('\n')}`);
    assert.equal(hashWorkers(), 1, 'the worker hashed the parts');
    // Let go after 5 s without work.
    const t0 = Date.now();
    while (hashWorkers() > 0 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
    assert.equal(hashWorkers(), 0, 'the idle worker ended');
    const second = await upload(tab, 9 * MiB + 7, 51);
    assert.ok(second.ok, `${second.error}\n${tab.console.join('\n')}`);
    assert.equal(hashWorkers(), 1, 'a new worker hashed the parts');
    assert.ok(!tab.console.some((l) => /hashed on the page's thread/.test(l)), tab.console.join('\n'));
    await assertStored(second.handle, 9 * MiB + 7, 51);
  } finally {
    await tab.context.close();
  }
});

test('7. a paced range keeps to its pace past the first 8 MiB, and hurries when told', { timeout: 120_000 }, async () => {
  const tab = await page(null);
  try {
    const size = 10 * MiB;
    const got = await tab.page.evaluate(async ({ size }) => {
      await window.skiffSeededFile('p', size, 'p.bin', 'application/octet-stream', 7, 0);
      const blob = window.skiffFiles.p;
      const worker = new Worker('/dist/hash-worker.js', { type: 'module' });
      const answers = {};
      worker.onmessage = ({ data }) => { answers[data.id] = { md5: data.md5 ?? `error: ${data.error}` }; };
      const wait = (ids, ms) => new Promise((resolve) => {
        const t0 = performance.now();
        const poll = () => (ids.every((id) => answers[id]) || performance.now() - t0 > ms ? resolve() : setTimeout(poll, 20));
        poll();
      });
      // 256 bytes per millisecond: the 2 MiB past the first 8 would take 8 s, so an answer within
      // 4 s of the hurry is the hurry's doing.
      const pace = 256;
      // One range alone, then two side by side (in lanes, hashed at the fastest pace among them).
      worker.postMessage([{ id: 1, blob, start: 0, end: size, pace }]);
      await wait([1], 1000);
      const aloneEarly = Boolean(answers[1]);
      worker.postMessage('hurry');
      await wait([1], 4000);
      const alone = { md5: answers[1]?.md5 };
      // A fresh worker, so that its first 8 MiB pass at once again.
      worker.terminate();
      const lanes = new Worker('/dist/hash-worker.js', { type: 'module' });
      lanes.onmessage = worker.onmessage;
      lanes.postMessage([{ id: 2, blob, start: 0, end: size, pace }, { id: 3, blob, start: 1, end: size, pace }]);
      await wait([2, 3], 1000);
      const lanesEarly = Boolean(answers[2] || answers[3]);
      lanes.postMessage('hurry');
      await wait([2, 3], 4000);
      lanes.terminate();
      return { aloneEarly, alone, lanesEarly, lanes: [answers[2]?.md5, answers[3]?.md5] };
    }, { size });
    const bytes = seededBytes(size, 7);
    assert.equal(got.aloneEarly, false, 'a paced 10 MiB range is not hashed within 1 s');
    assert.equal(got.alone.md5, md5(bytes), 'its digest, within 4 s of the hurry (8 s at its pace)');
    assert.equal(got.lanesEarly, false, 'nor two side by side');
    assert.deepEqual(got.lanes, [md5(bytes), md5(bytes.subarray(1))], 'their digests, within 4 s of the hurry');
  } finally {
    await tab.context.close();
  }
});
