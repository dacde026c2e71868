// Browser upload benchmark: Skiff (wasm) vs filestack-js 4.3.8 vs one plain fetch PUT against one
// skiff-server, and the peers against their own servers, side by side in one headless Chromium page.
//
//   node bench/browser/upload.bench.mjs        (scripts/bench-browser.sh builds what is missing first;
//                                               scripts/bench-shaped.sh runs it on shaped links)
//
// What it does
//   - one skiff-server (tests/e2e/support/server.mjs) whose data folder lives under BENCH_DIR
//     (default: the workspace's target/ folder, i.e. the disk the project is on, not /tmp); the
//     peers' servers (peers.mjs), their data folders there too: @tus/server + @tus/file-store in a
//     node process of its own, and SeaweedFS (`weed mini`) with a signing endpoint for Uppy's S3 plugin;
//   - one page (tests/e2e/support/page.html via static.mjs: filestack-js's browser build) on its own
//     origin, with the peers' clients (peers-entry.js, bundled by esbuild); dist/ (Skiff's entry,
//     glue and wasm) served from a third origin with CORS, the way a CDN would serve it;
//   - one random file of BENCH_SIZE_MIB (256) MiB is written under BENCH_DIR and picked in the page
//     through a file input (as a user picks a file; see site.mjs for why not an in-memory Blob); every
//     run uploads it; it is read once in full before anything is timed, so it is in the page cache;
//   - contenders, each with its library's defaults (regular: 6 MiB parts, 3 in flight, MD5 per part;
//     intelligent: `intelligent: true`), timed in the page from the upload call to the resolved result:
//       Skiff regular, Skiff regular with `disableIntegrityCheck: true`, Skiff intelligent,
//       filestack-js regular and intelligent, tus-js-client → @tus/server (one PATCH),
//       Uppy 6 + @uppy/tus → @tus/server, Uppy 6 + @uppy/aws-s3 (multipart) → SeaweedFS, plain PUT;
//   - plain PUT (the limit): the server has no raw PUT endpoint, so it uses the protocol with one part:
//     /multipart/start and /multipart/upload (part 1, size = whole file, no md5) untimed, then ONLY the
//     single fetch PUT of the whole File is timed, then /multipart/complete untimed (its time is shown);
//   - one untimed warm-up of every contender with a 16 MiB file, then BENCH_ROUNDS (3) rounds; in each
//     round all contenders run once, the order rotated by one per round; after every run what the
//     contender's server stored is checked (size; SHA-256 of the stored bytes in round 1), deleted
//     and `sync` flushes the page cache so no run pays for the previous one's writeback;
//   - each run's CPU seconds per process class (the contender's own server as "server") and the
//     renderer's RSS (sampled every 100 ms), reported per GiB uploaded;
//   - sizes: gzip -9 of dist/skiff_bg.wasm + dist/skiff.js (dist/index.js separately) vs filestack-js's
//     browser build;
//   - memory: a BENCH_MEM_SIZE_MIB (2048) MiB Skiff regular upload from a fresh page (its own renderer
//     process); the File is a Blob of one repeated 1 MiB random Blob, so the page does not hold 2 GiB;
//     /proc of every Chromium process is sampled every 100 ms. Skipped when disk space is short.
//
// Targets (exit status 1 when one is missed), on the loopback: Skiff regular ≥ 1.25 × filestack-js
// regular and ≥ 0.80 × plain PUT (medians); dist/skiff_bg.wasm + dist/skiff.js ≤ 120 KB (120 000
// bytes) gzip -9; the memory run's renderer grows < 96 MiB. On a shaped link (BENCH_LINK, set by
// scripts/bench-shaped.sh): Skiff regular ≥ 0.95 × plain PUT and ≥ every peer (filestack-js,
// tus-js-client, Uppy + tus, Uppy + aws-s3).
//
// Also printed: CPU seconds per process class for every run (/proc), the page's Resource Timing
// (PUTs in flight, gaps), and the speed of the client-side primitives (Blob read, MD5 in wasm and in
// filestack-js). BENCH_DIAG=1 adds diagnostic rows (never targets): Skiff with concurrency 6 and
// with 16 MiB parts, filestack-js without MD5, a minimal MD5 client, and skiff-bench (the project's Rust client, no
// browser) with 6 MiB × 3 parts and with one whole-file part; and after each run, the CPU seconds
// of each thread of the renderer and the browser process (cpu.mjs names them).
//
// Environment: BENCH_ROUNDS (3), BENCH_SIZE_MIB (256), BENCH_MEM_SIZE_MIB (2048; 0 skips),
// BENCH_ONLY (contender ids to run, comma-separated; skiff-regular, fs-regular and put always run),
// BENCH_DIR (target/), BENCH_RAM_DIR (/dev/shm: a tmpfs for the skiff-ram rows, contenders.mjs),
// BENCH_RUN_TIMEOUT_S (300), BENCH_DIAG (0), BENCH_DRIVER (cdp | playwright), BENCH_TRACE (a file
// for every run's Resource Timing entries, JSON), BENCH_LINK + BENCH_LINK_TC
// (scripts/bench-shaped.sh), CHROMIUM_BIN, SKIFF_SERVER_BIN, SKIFF_WEED.
//
// The pieces, all in bench/browser/: config.mjs (the environment knobs), contenders.mjs (who uploads,
// one run), peers.mjs (the servers), driver.mjs + cdp-browser.mjs (the browser drivers), site.mjs
// (the page), page-lib.mjs (window.bench, the code in the page), peers-entry.js + uppy-tus-entry.js
// (the peers' clients), cpu.mjs + processes.mjs (/proc), memory.mjs (the memory run),
// resource-timing.mjs, sizes.mjs, stored-files.mjs, report.mjs (the tables), util.mjs.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../tests/e2e/support/server.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { BENCH_DIR, DIAG, DIST, MiB, ROUNDS, SIZE, TRACE, WARM_SIZE } from './config.mjs';
import { CONTENDERS, measured, runInPage } from './contenders.mjs';
import { launchDriver } from './driver.mjs';
import { measureMemory } from './memory.mjs';
import { s3Target, skiffRamTarget, skiffTarget, tusTarget } from './peers.mjs';
import { report } from './report.mjs';
import { analyse } from './resource-timing.mjs';
import { openBenchPage, pickFiles, startDistServer, writeFiles } from './site.mjs';
import { bundleUppy } from './uppy-bundle.mjs';
import { f1, f2, log, mib, sleep } from './util.mjs';

// The peers' clients, bundled into one script for the page (rebuilt when a version changes).
const PEER_PACKAGES = ['@uppy/core', '@uppy/tus', '@uppy/aws-s3', 'tus-js-client', 'esbuild'];

async function main() {
  const started = Date.now();
  for (const f of ['skiff_bg.wasm', 'skiff.js', 'index.js']) {
    if (!existsSync(join(DIST, f))) throw new Error(`dist/${f} is missing: run bash scripts/build-wasm.sh (or scripts/bench-browser.sh)`);
  }
  mkdirSync(BENCH_DIR, { recursive: true });
  const tmpRoot = join(BENCH_DIR, `bench-browser-${process.pid}`);
  mkdirSync(tmpRoot, { recursive: true });
  const peers = await bundleUppy({ entry: join(REPO_ROOT, 'bench', 'browser', 'peers-entry.js'), dir: join(REPO_ROOT, '.cache', 'bench-peers'), packages: PEER_PACKAGES });
  const scripts = [readFileSync(peers.js, 'utf8')];

  let site, dist, browser;
  const targets = {};
  const cleanup = async () => {
    for (const step of [() => browser?.close(), () => site?.stop(), () => dist?.stop(), ...Object.values(targets).map((t) => () => t.stop())]) {
      try { await step(); } catch (e) { log('cleanup:', e.message); }
    }
    rmSync(tmpRoot, { recursive: true, force: true });
  };

  let exitCode = 0;
  try {
    // One after the other: each points os.tmpdir() at its data's folder while it starts (tmpRoot;
    // skiff-ram's on a tmpfs).
    const needed = new Set(CONTENDERS.map((c) => c.target));
    for (const [name, start] of [['skiff', skiffTarget], ['skiff-ram', skiffRamTarget], ['tus', tusTarget], ['s3', s3Target]]) {
      if (needed.has(name)) targets[name] = await start(tmpRoot);
    }
    const server = targets.skiff.server;
    [site, dist] = await Promise.all([startStaticServer(), startDistServer()]);
    browser = await launchDriver(join(tmpRoot, 'chromium-profile'));
    log(`server ${server.url} (data ${server.data}), page ${site.url}, dist ${dist.url}, ` +
      `${Object.values(targets).map((t) => `${t.name} ${t.url}`).join(', ')}, Chromium ${browser.version()}`);

    let { tab, version: skiffVersion } = await openBenchPage(browser, site, dist, scripts);

    log(`writing the ${mib(SIZE)} random file and picking it in the page`);
    const files = writeFiles(tmpRoot);
    const big = files.big;
    await pickFiles(tab, files);
    // After a run that timed out, the page may still be busy with the hung upload: start over in
    // a fresh page.
    const freshPage = async () => {
      await tab.close().catch(() => {});
      ({ tab } = await openBenchPage(browser, site, dist, scripts));
      await pickFiles(tab, files);
      await tab.evaluate(() => window.bench.settle('big'));
    };

    // Before anything is timed: the file read once in full (into the page cache), then the
    // primitives, then writeback of whatever that caused.
    await tab.evaluate(() => window.bench.settle('big'));
    const primitives = await tab.evaluate(() => window.bench.primitives('big'));
    spawnSync('sync');

    // Warm-up: JIT, wasm instance, server connections, SQLite; not counted.
    log('warm-up (16 MiB, each contender once, untimed)');
    for (const c of CONTENDERS.filter((x) => x.lib !== 'native')) {
      const r = await runInPage(tab, targets[c.target], c, 'warm', WARM_SIZE);
      if (!r.ok) {
        log(`warm-up of ${c.label} failed:\n${r.diag}`);
        if (r.timeout) await freshPage();
        continue;
      }
      await targets[c.target].remove(r.result);
    }
    spawnSync('sync');
    await sleep(1000);

    const runs = Object.fromEntries(CONTENDERS.map((c) => [c.id, []])); // per round: {mibs, ms, analysis, completeMs, cpu, memory} | {error}
    const failures = [];
    const verified = {};
    const trace = []; // BENCH_TRACE=file: every run's Resource Timing entries as JSON
    const loadStart = loadavg()[0];
    for (let round = 0; round < ROUNDS; round++) {
      const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
      for (const c of order) {
        if (runs[c.id].some((x) => x.error)) { runs[c.id].push({ error: 'skipped after an earlier failure' }); continue; }
        const target = targets[c.target];
        const r = await measured(tab, targets, c, 'big', SIZE);
        if (!r.ok) {
          log(`round ${round + 1}: ${c.label} FAILED\n${r.diag}`);
          failures.push({ contender: c.label, round: round + 1, diag: r.diag });
          runs[c.id].push({ error: r.error });
          if (r.timeout) await freshPage();
          continue;
        }
        const mibs = (SIZE / MiB) / (r.ms / 1000);
        runs[c.id].push({ mibs, ms: r.ms, completeMs: r.completeMs, analysis: analyse(r.resources, r.ms), cpu: r.cpu, memory: r.memory });
        if (TRACE) trace.push({ contender: c.id, round: round + 1, ms: r.ms, cpu: r.cpu, resources: r.resources });
        log(`round ${round + 1}: ${c.label.padEnd(50)} ${f1(mibs).padStart(7)} MiB/s (${(r.ms / 1000).toFixed(2)} s; ` +
          `CPU s: renderer ${f2(r.cpu.renderer)}, browser ${f2(r.cpu.browser)}, network ${f2(r.cpu.network)}, server ${f2(r.cpu.server)}, other processes ${f2(r.cpu.foreign)}; ` +
          `renderer RSS ${mib(r.memory.start)} → ${mib(r.memory.peak)})`);
        if (DIAG) {
          const top = Object.entries(r.cpu.threads).sort((x, y) => y[1] - x[1]).filter(([, s]) => s >= 0.02);
          log(`  threads (CPU s): ${top.map(([n, s]) => `${n} ${f2(s)}`).join(', ')}`);
        }
        if (c.lib === 'native') { await sleep(200); spawnSync('sync'); continue; }
        // What the server holds: its size every time, its bytes (SHA-256) in round 1.
        const got = await target.stored(r.result, round === 0);
        const same = got.size === big.size && (round > 0 || got.sha256 === big.sha256);
        if (round === 0) verified[c.id] = same;
        if (!same) {
          failures.push({ contender: c.label, round: round + 1, diag: `stored bytes differ: ${JSON.stringify(got)} vs ${JSON.stringify(big)}` });
          log(`${c.label}: stored bytes differ from the File`);
        }
        await target.remove(r.result);
        spawnSync('sync');
        await sleep(200);
      }
    }
    const loadEnd = loadavg()[0];
    if (TRACE) writeFileSync(TRACE, JSON.stringify(trace));

    // ---- memory: 2 GiB Skiff regular upload from a fresh page ----
    let memory;
    ({ tab, memory } = await measureMemory({ browser, site, dist, target: targets.skiff, tab, failures }));

    const { text, allPass } = report({ started, runs, verified, failures, loadStart, loadEnd, browser, skiffVersion, server, servers: targets, site, dist, memory, primitives, peers });
    console.log(text);
    exitCode = allPass ? 0 : 1;
  } finally {
    await cleanup();
  }
  return exitCode;
}

main().then((code) => process.exit(code), (err) => {
  console.error('[bench-browser] error:', err?.stack ?? err);
  process.exit(2);
});
