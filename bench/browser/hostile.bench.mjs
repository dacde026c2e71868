// Intelligent ingestion over hostile links: time to upload 24 MiB with `intelligent: true` and
// every other option at its default, through a proxy (tests/e2e/support/proxy.mjs) that limits
// each connection's rate and cuts every connection after a while, for Skiff, filestack-js 3.29.0
// (the last release whose intelligent ingestion shrinks its chunks) and filestack-js 4.3.8 against
// skiff-server, and Uppy 6 with @uppy/tus (its defaults) against @tus/server with
// @tus/file-store.
//
// Links: per-connection rates from 0.5 to 4 MiB/s; connection lives fixed (the issue's measured
// case: 1 MiB/s, cut 3 s after opening) or drawn at random in a range (resets at random moments).
// The random lives come from seeded draws (the proxy's `seed`): every client meets the same
// sequence of lives, and a client's time on one draw repeats to a tenth of a second, where
// unseeded runs of Skiff on the 2 MiB/s link took anything from 4.3 to 11 s (whether one of
// its first three 8 MiB chunks lands on a connection cut before it ends: the browser sends a
// request again, unseen, when a reused connection breaks, so such a chunk costs two lives). So
// each random link runs BENCH_HOSTILE_SEEDS draws (default three) and the table gives each
// client's median; filestack-js 4.3.8, outside the targets and slow to fail, runs the first draw
// only. Each run is in a fresh page, against the client's own server behind the proxy; a run
// that has not finished after BENCH_HOSTILE_TIMEOUT_S (240) s counts as failed.
// Target (issue 15): Skiff finishes every time, in ≤ 0.8 × the time of filestack-js 3.29.0 and
// of Uppy + tus on each link.
//
//   node bench/browser/hostile.bench.mjs     (scripts/bench-all.sh runs it)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, openPage } from '../../tests/e2e/support/browser.mjs';
import { startProxy } from '../../tests/e2e/support/proxy.mjs';
import { REPO_ROOT, startServer } from '../../tests/e2e/support/server.mjs';
import { ensureDist, startSkiffSite } from '../../tests/e2e/support/skiff-site.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { startTusServer } from './tus-server.mjs';
import { bundleUppy } from './uppy-bundle.mjs';

const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
const TIMEOUT_MS = Number(process.env.BENCH_HOSTILE_TIMEOUT_S ?? 240) * 1000;
const log = (s) => process.stderr.write(`[bench-hostile] ${s}\n`);
const SEEDS = (process.env.BENCH_HOSTILE_SEEDS ?? '1,2,3').split(',').map(Number);

const LINKS = [
  { name: '1 MiB/s per connection, cut after 3 s', connRate: MiB, lifetimeMs: 3000 },
  { name: '0.5 MiB/s, cut after 2–4 s', connRate: MiB / 2, lifetimeMs: [2000, 4000] },
  { name: '2 MiB/s, cut after 3–6 s', connRate: 2 * MiB, lifetimeMs: [3000, 6000] },
  { name: '4 MiB/s, cut after 5–10 s', connRate: 4 * MiB, lifetimeMs: [5000, 10000] },
];

const FS3 = join(REPO_ROOT, 'node_modules', 'filestack-js-3.29', 'build', 'browser');
const FS4 = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser');
const HERE = join(REPO_ROOT, 'bench', 'browser');

ensureDist();
if (!existsSync(FS3)) throw new Error('filestack-js 3.29.0 is missing (npm ci installs it as filestack-js-3.29)');
const uppy = await bundleUppy({ entry: join(HERE, 'uppy-tus-entry.js'), dir: join(REPO_ROOT, '.cache', 'bench-uppy-tus'), packages: ['@uppy/core', '@uppy/tus', 'esbuild'] });
const proxy = await startProxy({ name: 'hostile' });
const [server, tus] = await Promise.all([startServer({ name: 'bench-hostile', extraArgs: ['--public-url', proxy.url] }), startTusServer()]);
const [skiffSite, fs3Site, fs4Site, uppySite] = await Promise.all([
  startSkiffSite(),
  startStaticServer({ folders: { '/filestack/': FS3 } }),
  startStaticServer({ folders: { '/filestack/': FS4 } }),
  startStaticServer({ page: join(HERE, 'uppy-tus-page.html'), folders: { '/uppy/': uppy.dir } }),
]);
const browser = await launchBrowser();

/** One upload of a 24 MiB file by `client` in a fresh page; ms, or null when it failed. */
async function once(client) {
  const site = { skiff: skiffSite, fs3: fs3Site, fs4: fs4Site, uppy: uppySite }[client];
  // The proxy leads to the server of this contender.
  proxy.setTarget(client === 'uppy' ? tus.port : server.port);
  const tab = await openPage(browser, `${site.url}/`, () => [proxy.url]);
  try {
    return await tab.page.evaluate(async ({ client, base, apikey, size, timeout }) => {
      await window.skiffSeededFile('h', size, 'hostile.bin', 'application/octet-stream', 3, 0);
      const file = window.skiffFiles.h;
      const t0 = performance.now();
      const upload = client === 'skiff' ? window.skiff.init(apikey, { baseUrl: base }).upload(file, { intelligent: true })
        : client === 'uppy' ? window.uppyTusUpload(file, `${base}/files`).then(() => ({ status: 'Stored' }))
          : window.skiffClient(base, apikey).upload(file, { intelligent: true });
      const late = new Promise((_, fail) => setTimeout(() => fail(new Error('timeout')), timeout));
      try {
        const r = await Promise.race([upload, late]);
        return r && (r.handle || r.status === 'Stored') ? performance.now() - t0 : null;
      } catch {
        return null;
      }
    }, { client, base: proxy.url, apikey: server.apikey, size: SIZE, timeout: TIMEOUT_MS });
  } finally {
    await tab.context.close();
  }
}

/** The median of the runs, a failed run (null) counting as the slowest; null if most failed. */
function median(times) {
  const sorted = times.map((t) => t ?? Infinity).sort((a, b) => a - b);
  const m = sorted[(sorted.length - 1) >> 1];
  return m === Infinity ? null : m;
}

const CLIENTS = [['skiff', 'Skiff'], ['fs3', 'filestack-js 3.29.0'], ['fs4', 'filestack-js 4.3.8'], ['uppy', 'Uppy + tus']];
const rows = [];
let failed = false;
try {
  for (const link of LINKS) {
    const row = { link: link.name, draws: {} };
    // A fixed life needs one draw.
    const seeds = Array.isArray(link.lifetimeMs) ? SEEDS : [null];
    for (const [id, label] of CLIENTS) {
      const times = [];
      for (const seed of id === 'fs4' ? seeds.slice(0, 1) : seeds) {
        proxy.configure({ rate: null, connRate: link.connRate, lifetimeMs: link.lifetimeMs, seed });
        times.push(await once(id));
        proxy.configure({ connRate: null, lifetimeMs: null, seed: null });
      }
      row.draws[id] = times;
      row[id] = median(times);
      log(`${link.name}: ${label} ${times.map((t) => (t === null ? 'FAILED' : `${(t / 1000).toFixed(1)} s`)).join(', ')}`);
    }
    rows.push(row);
  }
  const s = (ms) => (ms === null ? 'failed' : (ms / 1000).toFixed(1));
  console.log(`## Intelligent ingestion over hostile links (${SIZE / MiB} MiB, defaults + intelligent: true)\n`);
  console.log('| link | Skiff s | filestack-js 3.29.0 s | filestack-js 4.3.8 s | Uppy + tus s | Skiff × 3.29.0 | Skiff × 4.3.8 | Skiff × Uppy + tus |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const ratio = (a, b) => (a === null || b === null ? '–' : (a / b).toFixed(2));
  for (const r of rows) {
    console.log(`| ${r.link} | ${s(r.skiff)} | ${s(r.fs3)} | ${s(r.fs4)} | ${s(r.uppy)} | ${ratio(r.skiff, r.fs3)} | ${ratio(r.skiff, r.fs4)} | ${ratio(r.skiff, r.uppy)} |`);
  }
  console.log('\n### Targets\n');
  console.log('| target | measured | result |\n|---|---:|---|');
  const runs = rows.flatMap((r) => r.draws.skiff);
  const all = runs.every((t) => t !== null);
  console.log(`| Skiff finishes every run | ${runs.filter((t) => t !== null).length} of ${runs.length} | ${all ? 'PASS' : 'FAIL'} |`);
  for (const r of rows) {
    for (const [peer, label] of [['fs3', 'filestack-js 3.29.0'], ['uppy', 'Uppy + tus']]) {
      // A peer that failed within the timeout: Skiff finishing is better than any ratio.
      const pass = r.skiff !== null && (r[peer] === null || r.skiff <= 0.8 * r[peer]);
      failed ||= !pass;
      console.log(`| ${r.link}: Skiff ≤ 0.8 × ${label} | ${ratio(r.skiff, r[peer])} × | ${pass ? 'PASS' : 'FAIL'} |`);
    }
  }
  failed ||= !all;
  console.log(`\nThe proxy paces each connection on its own (both directions) and destroys it when its life ends, whatever it carries, keep-alive connections included. Random lives are seeded draws (${SEEDS.join(', ')}), the same for every client; the table gives medians over them (filestack-js 4.3.8: the first draw only).`);
  console.log('\n### Each draw (s)\n');
  for (const r of rows) {
    const runs = (id) => r.draws[id].map(s).join(' / ');
    console.log(`- ${r.link}: Skiff ${runs('skiff')}; filestack-js 3.29.0 ${runs('fs3')}; 4.3.8 ${runs('fs4')}; Uppy + tus ${runs('uppy')}`);
  }
} finally {
  await browser.close();
  for (const x of [skiffSite, fs3Site, fs4Site, uppySite, server, tus, proxy]) await x.stop();
}
process.exit(failed ? 1 : 0);
