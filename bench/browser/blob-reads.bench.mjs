// What reading a file costs in a Web Worker, by the way it is read: the CPU-seconds the renderer
// and the browser process spend to drain a BENCH_SIZE_MIB (256) MiB file picked from disk, without
// hashing it. The hashing worker (www/hash-worker.js) reads every part a second time, and that
// read is most of what the integrity check costs on 2 CPUs (see the README's benchmark section);
// this says which reading pattern is cheapest, and by how much.
//
// Patterns: four streams at a time over consecutive 6 MiB ranges (how the worker reads parts now),
// the same over 64 MiB runs (what handing each lane a run of parts would give), one stream over the
// whole file, and `arrayBuffer()` of 1 MiB and 256 KiB slices, several in flight. Each round runs
// every pattern once, in turn; the table gives medians over BENCH_ROUNDS (3) rounds. A diagnosis,
// with no target: it exits 0 unless a read fails.
//
//   node bench/browser/blob-reads.bench.mjs

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { BENCH_DIR, MiB, ROUNDS, SIZE } from './config.mjs';
import { cpuDelta, cpuSnapshot } from './cpu.mjs';
import { launchDriver } from './driver.mjs';
import { openBenchPage, pickFiles, startDistServer, writeFiles } from './site.mjs';
import { f1, f2, log, median } from './util.mjs';

/** [label, how ('streams' | 'slices'), bytes per stream or slice, how many at once]. */
const PATTERNS = [
  ['4 streams of 6 MiB ranges (the hashing worker)', 'streams', 6 * MiB, 4],
  ['4 streams of 64 MiB runs', 'streams', 64 * MiB, 4],
  ['1 stream over the whole file', 'streams', SIZE, 1],
  ['arrayBuffer() of 1 MiB slices, 4 at once', 'slices', MiB, 4],
  ['arrayBuffer() of 256 KiB slices, 8 at once', 'slices', MiB / 4, 8],
];

// The worker: drains `blob` in pieces of `piece` bytes, `width` at a time, and answers the time
// it took. It touches one byte of each chunk so nothing can skip the read.
const WORKER = `
let sink = 0;
async function stream(blob, start, end) {
  const reader = blob.slice(start, end).stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    sink ^= value[0];
  }
}
async function slice(blob, start, end) {
  sink ^= new Uint8Array(await blob.slice(start, end).arrayBuffer())[0];
}
onmessage = async ({ data: { blob, how, piece, width } }) => {
  const t = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < blob.size) {
      const start = next;
      next += piece;
      await (how === 'streams' ? stream : slice)(blob, start, Math.min(start + piece, blob.size));
    }
  };
  try {
    await Promise.all(Array.from({ length: width }, lane));
    postMessage({ ms: performance.now() - t, sink });
  } catch (e) {
    postMessage({ error: String(e?.message ?? e) });
  }
};`;

async function main() {
  const started = Date.now();
  const tmpRoot = join(BENCH_DIR, `bench-blob-reads-${process.pid}`);
  mkdirSync(tmpRoot, { recursive: true });
  let site, dist, browser;
  try {
    [site, dist] = await Promise.all([startStaticServer(), startDistServer()]);
    browser = await launchDriver(join(tmpRoot, 'chromium-profile'));
    const { tab } = await openBenchPage(browser, site, dist);
    const files = writeFiles(tmpRoot);
    await pickFiles(tab, files);
    await tab.evaluate((src) => {
      window.readsWorker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      window.readFile = (how, piece, width) => new Promise((ok) => {
        window.readsWorker.onmessage = (e) => ok(e.data);
        window.readsWorker.postMessage({ blob: window.skiffFiles.big, how, piece, width });
      });
    }, WORKER);
    // Once untimed: the file into the page cache, the worker warm.
    await tab.evaluate(() => window.readFile('streams', 6 << 20, 4));

    const runs = PATTERNS.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [label, how, piece, width]] of PATTERNS.entries()) {
        const before = cpuSnapshot(process.pid);
        const r = await tab.evaluate(([h, p, w]) => window.readFile(h, p, w), [how, piece, width]);
        const cpu = cpuDelta(before, cpuSnapshot(process.pid));
        if (r.error) throw new Error(`${label}: ${r.error}`);
        runs[i].push({ mibs: SIZE / MiB / (r.ms / 1000), renderer: cpu.renderer, browser: cpu.browser });
        log(`round ${round + 1}: ${label}: ${f1(SIZE / MiB / (r.ms / 1000))} MiB/s, renderer ${f2(cpu.renderer)} s, browser ${f2(cpu.browser)} s`);
      }
    }

    const out = [
      `## Reading a ${SIZE / MiB} MiB file in a Web Worker (no hashing; medians of ${ROUNDS} rounds)`,
      '',
      '| pattern | MiB/s | renderer CPU s | browser process CPU s | both | both, fewest–most |',
      '|---|---:|---:|---:|---:|---:|',
    ];
    for (const [i, [label]] of PATTERNS.entries()) {
      const md = (k) => median(runs[i].map((x) => x[k]));
      const both = runs[i].map((x) => x.renderer + x.browser);
      out.push(`| ${label} | ${f1(md('mibs'))} | ${f2(md('renderer'))} | ${f2(md('browser'))} | ${f2(median(both))} | ${f2(Math.min(...both))}–${f2(Math.max(...both))} |`);
    }
    out.push('', `CPU from /proc (utime + stime) over each read. ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    console.log(out.join('\n'));
  } finally {
    for (const step of [() => browser?.close(), () => site?.stop(), () => dist?.stop()]) {
      try { await step(); } catch (e) { log('cleanup:', e.message); }
    }
    rmSync(tmpRoot, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
