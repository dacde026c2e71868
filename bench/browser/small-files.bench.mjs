// What small uploads cost in time: one file of 64 KiB, and 20 of them in one `multiupload`, with
// Skiff's defaults and with `disableIntegrityCheck`, against skiff-server on the loopback directly
// and through a relay that delays every byte by half of BENCH_RTT_MS (30) each way, like a
// link with that round trip. A small file's time is round trips (start, upload, the PUT and its
// preflight if any, complete), not bytes, so this is where a request saved shows.
//
// Reported per case: the median time of BENCH_ROUNDS (5) calls (fresh random files each time),
// per file; how many requests (POST and PUT) reached the server per file: a regular upload of
// one part is start, the PUT and complete, since start's answer signs part 1 (`first_part`,
// docs/protocol.md §3.2); and how many CORS preflights (OPTIONS) per call: the part PUT is
// never a simple request, and a browser caches a preflight per URL, so skiff-server hands out
// one part URL for every upload (§3.3); the first call of the page preflights it, the rest
// should not. A diagnosis with no target: exits 0 unless an upload fails.
//
//   node bench/browser/small-files.bench.mjs     (scripts/bench-all.sh runs it)

import { mkdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { startServer } from '../../tests/e2e/support/server.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { APIKEY, BENCH_DIR } from './config.mjs';
import { launchDriver } from './driver.mjs';
import { openBenchPage, startDistServer, withTmpDir } from './site.mjs';
import { f1, log, median } from './util.mjs';

const RTT_MS = Number(process.env.BENCH_RTT_MS ?? 30);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const FILE_BYTES = 64 * 1024;
const MANY = 20;

/**
 * A TCP relay on 127.0.0.1 to `port()` that holds every chunk `delayMs` before passing it on, in
 * each direction (timers of equal delay fire in order, so the bytes keep theirs).
 */
function startDelayRelay(delayMs, port) {
  const relay = createServer((client) => {
    const upstream = connect(port(), '127.0.0.1');
    const pass = (from, to) => from.on('data', (d) => setTimeout(() => to.write(d), delayMs));
    pass(client, upstream);
    pass(upstream, client);
    const end = () => { client.destroy(); upstream.destroy(); };
    for (const s of [client, upstream]) { s.on('close', end); s.on('error', end); }
  });
  return new Promise((ok) => relay.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${relay.address().port}`,
    stop: () => new Promise((done) => relay.close(done)),
  })));
}

/** Starts skiff-server (its requests logged, to count preflights) behind `relayUrl`, if given. */
function startLoggedServer(tmpRoot, relayUrl) {
  const saved = process.env.RUST_LOG;
  process.env.RUST_LOG = 'info,tower_http=debug';
  const extraArgs = relayUrl ? ['--public-url', relayUrl] : [];
  return withTmpDir(tmpRoot, () => startServer({ name: 'bench-small', apikey: APIKEY, extraArgs }))
    .finally(() => { if (saved === undefined) delete process.env.RUST_LOG; else process.env.RUST_LOG = saved; });
}

// tower_http logs each request twice (started, finished): its start is counted.
const logged = (server, methods) =>
  (server.log().match(new RegExp(`request\\{method=(${methods}) [^}]*\\}: tower_http::trace::on_request`, 'g')) ?? []).length;
const preflights = (server) => logged(server, 'OPTIONS');
const requests = (server) => logged(server, 'POST|PUT');

async function main() {
  const started = Date.now();
  const tmpRoot = join(BENCH_DIR, `bench-small-files-${process.pid}`);
  mkdirSync(tmpRoot, { recursive: true });
  const stops = [];
  try {
    const [site, dist] = await Promise.all([startStaticServer(), startDistServer()]);
    stops.push(() => site.stop(), () => dist.stop());
    let target;
    const relay = await startDelayRelay(RTT_MS / 2, () => target);
    stops.push(() => relay.stop());
    const [direct, delayed] = [await startLoggedServer(tmpRoot), await startLoggedServer(tmpRoot, relay.url)];
    target = delayed.port;
    stops.push(() => direct.stop(), () => delayed.stop());
    const browser = await launchDriver(join(tmpRoot, 'chromium-profile'));
    stops.unshift(() => browser.close());
    const { tab } = await openBenchPage(browser, site, dist);

    const links = [['loopback', direct, direct.url], [`${RTT_MS} ms round trip`, delayed, relay.url]];
    const cases = [];
    for (const [link, server, base] of links) {
      for (const n of [1, MANY]) {
        for (const [label, opts] of [['defaults', {}], ['disableIntegrityCheck', { disableIntegrityCheck: true }]]) {
          cases.push({ link, server, base, n, label, opts, ms: [], preflights: [], requests: [] });
        }
      }
    }
    // Once untimed per server: the page's first call loads the wasm, starts the hashing worker
    // and preflights each URL for the first time.
    for (const [, , base] of links) {
      await tab.evaluate(([b, k, size]) => window.skiffModule.init(k, { baseUrl: b })
        .upload(new File([new Uint8Array(size)], 'warm.bin')), [base, APIKEY, FILE_BYTES]);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const [before, requestsBefore] = [preflights(c.server), requests(c.server)];
        const r = await tab.evaluate(async ([b, k, n, size, opts]) => {
          const files = Array.from({ length: n }, (_, i) => {
            const bytes = new Uint8Array(size);
            crypto.getRandomValues(bytes); // 64 KiB: the most one call may ask for
            return new File([bytes], `small-${i}.bin`, { type: 'application/octet-stream' });
          });
          const client = window.skiffModule.init(k, { baseUrl: b });
          const t0 = performance.now();
          const out = await client.multiupload(files, opts);
          return { ms: performance.now() - t0, stored: out.filter((f) => f.status === 'Stored').length };
        }, [c.base, APIKEY, c.n, FILE_BYTES, c.opts]);
        if (r.stored !== c.n) throw new Error(`${c.link}, ${c.n} files, ${c.label}: ${r.stored} stored`);
        c.ms.push(r.ms);
        c.preflights.push(preflights(c.server) - before);
        c.requests.push((requests(c.server) - requestsBefore) / c.n);
        log(`round ${round + 1}: ${c.link}, ${c.n} × 64 KiB, ${c.label}: ${f1(r.ms)} ms`);
      }
    }

    const out = [
      `## Small uploads: files of 64 KiB (medians of ${ROUNDS} calls)`,
      '',
      '| link | files in the call | options | ms per call | ms per file | requests per file | preflights per call |',
      '|---|---:|---|---:|---:|---:|---:|',
    ];
    for (const c of cases) {
      const ms = median(c.ms);
      out.push(`| ${c.link} | ${c.n} | ${c.label} | ${f1(ms)} | ${f1(ms / c.n)} | ${f1(median(c.requests))} | ${f1(median(c.preflights))} |`);
    }
    out.push('', `skiff-server with its data folder under BENCH_DIR (each part and each complete is fsynced). ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    console.log(out.join('\n'));
  } finally {
    for (const stop of stops) {
      try { await stop(); } catch (e) { log(`cleanup: ${e.message}`); }
    }
    rmSync(tmpRoot, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
