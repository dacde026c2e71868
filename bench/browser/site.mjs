// The benchmark's servers and page:
//   - skiff-server (tests/e2e/support/server.mjs) with its data folder under BENCH_DIR;
//   - the page: tests/e2e/support/page.html (filestack-js's browser build, window.skiffRandomFile)
//     served by static.mjs on its own origin, with page-lib.mjs's window.bench added;
//   - dist/ on a third origin (static.mjs with CORS, application/wasm), like a CDN would serve it.

import { startServer } from '../../tests/e2e/support/server.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { APIKEY, DIST, SIZE, WARM_SIZE } from './config.mjs';
import { PAGE_LIB } from './page-lib.mjs';

/** skiff-server with its data folder in tmpRoot: startServer() puts it in os.tmpdir(). */
export async function startBenchServer(tmpRoot) {
  // Point os.tmpdir() at BENCH_DIR just for the call.
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmpRoot;
  try {
    return await startServer({ name: 'bench', apikey: APIKEY });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
  }
}

/** dist/ on its own origin (CORS, application/wasm), like a CDN would serve the package. */
export function startDistServer() {
  return startStaticServer({ page: null, folders: { '/': DIST }, cors: true });
}

/** A fresh page (browser: driver.mjs) with window.bench and Skiff loaded from dist; { tab, version }. */
export async function openBenchPage(browser, site, dist) {
  const tab = await browser.newPage(`${site.url}/`);
  await tab.addScript(PAGE_LIB);
  const version = await tab.evaluate((u) => window.bench.loadSkiff(u), dist.url);
  return { tab, version };
}

/** The page's random Files: 'big' (BENCH_SIZE_MIB) and 'warm' (16 MiB); returns big's { size, sha256 }. */
export async function makeFiles(tab) {
  const big = await tab.evaluate(([s]) => window.skiffRandomFile('big', s, 'bench-256.bin', 'application/octet-stream'), [SIZE]);
  await tab.evaluate(([s]) => window.skiffRandomFile('warm', s, 'bench-warm.bin', 'application/octet-stream'), [WARM_SIZE]);
  return big;
}
