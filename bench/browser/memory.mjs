// The memory run: a BENCH_MEM_SIZE_MIB (2048) MiB Skiff regular upload from a fresh page (its own
// renderer process). The File is a Blob of one repeated 1 MiB random Blob (window.bench.repeatedFile),
// so the page does not hold 2 GiB; /proc of every Chromium process is sampled every 100 ms, the page
// samples its wasm memory and JS heap, and a full GC afterwards shows what was garbage. Skipped when
// disk space is short.

import { spawnSync } from 'node:child_process';
import { statfsSync, writeFileSync } from 'node:fs';
import { MEM_SIZE, MiB } from './config.mjs';
import { CONTENDERS, runInPage } from './contenders.mjs';
import { browserProcesses, procMem } from './processes.mjs';
import { openBenchPage } from './site.mjs';
import { log, mib, sleep } from './util.mjs';

/**
 * Closes tab, runs the memory upload to target (peers.mjs's skiff-server) in a fresh page and
 * returns { tab: that page, memory } (or { tab, memory: { skipped } } without touching tab). A
 * failed upload is added to failures.
 */
export async function measureMemory({ browser, site, dist, target, tab, failures }) {
  if (!(MEM_SIZE > 0)) return { tab, memory: { skipped: 'BENCH_MEM_SIZE_MIB=0' } };
  const fsst = statfsSync(target.server.data);
  const free = fsst.bavail * fsst.bsize;
  if (free < MEM_SIZE * 2 + 2 * 1024 * MiB) {
    return { tab, memory: { skipped: `only ${(free / 1024 / MiB).toFixed(1)} GiB free on the data disk (need ${(MEM_SIZE * 2 / 1024 / MiB + 2).toFixed(1)} GiB)` } };
  }
  await tab.close();
  const before = new Set(browserProcesses().filter((p) => p.type === 'renderer').map((p) => p.pid));
  ({ tab } = await openBenchPage(browser, site, dist));
  const renderers = browserProcesses().filter((p) => p.type === 'renderer' && !before.has(p.pid));
  await tab.evaluate(([s]) => window.bench.repeatedFile('mem', s, 1024 * 1024), [MEM_SIZE]);
  await sleep(500);
  const procs = browserProcesses();
  const baseline = Object.fromEntries(procs.map((p) => [p.pid, procMem(p.pid)?.rss ?? 0]));
  // The renderers' own peak (VmHWM) restarts here, so that it tells the upload's true peak,
  // including any spike between two samples.
  const hwmFromHere = renderers.length > 0 && renderers.every((p) => resetPeak(p.pid));
  const peak = { ...baseline };
  let peakTotal = Object.values(baseline).reduce((a, b) => a + b, 0);
  const baseTotal = peakTotal;
  const series = []; // [ms since start, {pid: rss}]
  const t0 = performance.now();
  const sampler = setInterval(() => {
    let total = 0;
    const snap = {};
    for (const p of procs) {
      const m = procMem(p.pid);
      if (!m) continue;
      peak[p.pid] = Math.max(peak[p.pid] ?? 0, m.rss);
      snap[p.pid] = m.rss;
      total += m.rss;
    }
    series.push([performance.now() - t0, snap]);
    peakTotal = Math.max(peakTotal, total);
  }, 100);
  log(`memory: ${mib(MEM_SIZE)} Skiff regular upload (renderer pid ${renderers.map((p) => p.pid).join(',') || '?'})`);
  await tab.evaluate((u) => window.bench.memStart(u), dist.url);
  const r = await runInPage(tab, target, CONTENDERS[0], 'mem', MEM_SIZE);
  clearInterval(sampler);
  const inPage = await tab.evaluate(() => window.bench.memStop()).catch(() => null);
  // The page's renderer: of the renderers that appeared with the fresh page, the one that grew.
  const rendererPid = renderers.map((x) => x.pid).sort((a, b) => (peak[b] - baseline[b]) - (peak[a] - baseline[a]) || peak[b] - peak[a])[0];
  const byType = (t) => procs.filter((p) => p.type === t);
  const sumOf = (list, m) => list.reduce((a, p) => a + (m[p.pid] ?? 0), 0);
  // The renderer's peak RSS in each quarter of the upload: flat quarters = bounded memory.
  const quarters = [0, 1, 2, 3].map((q) => {
    const end = series.at(-1)?.[0] ?? 0;
    const xs = series.filter(([t]) => t >= (q * end) / 4 && t <= ((q + 1) * end) / 4).map(([, m]) => m[rendererPid] ?? 0);
    return xs.length ? Math.max(...xs) : NaN;
  });
  const hwm = hwmFromHere && rendererPid ? procMem(rendererPid)?.hwm : undefined;
  // Then a full garbage collection: what it gives back was garbage not yet collected.
  let afterGc = NaN;
  if (rendererPid) {
    await tab.collectGarbage().catch(() => {});
    await sleep(1000);
    afterGc = procMem(rendererPid)?.rss ?? NaN;
  }
  const memory = {
    inPage,
    afterGc,
    quarters,
    ok: r.ok,
    error: r.ok ? null : r.error,
    diag: r.diag,
    mibs: r.ok ? (MEM_SIZE / MiB) / (r.ms / 1000) : NaN,
    ms: r.ms,
    renderer: rendererPid ? { base: baseline[rendererPid], peak: peak[rendererPid], hwm } : null,
    browser: { base: sumOf(byType('browser'), baseline), peak: sumOf(byType('browser'), peak) },
    network: { base: sumOf(byType('utility:network'), baseline), peak: sumOf(byType('utility:network'), peak) },
    total: { base: baseTotal, peak: peakTotal },
    processes: procs.length,
  };
  if (r.ok) await target.remove(r.result);
  else failures.push({ contender: `Skiff regular ${mib(MEM_SIZE)} (memory run)`, round: '-', diag: r.diag });
  spawnSync('sync');
  return { tab, memory };
}

/** Restarts process pid's VmHWM at its RSS now (Linux's clear_refs, 5); false where not allowed. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
