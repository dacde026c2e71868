// The benchmark's servers and page:
//   - skiff-server (tests/e2e/support/server.mjs) with its data folder under BENCH_DIR;
//   - the page: tests/e2e/support/page.html (filestack-js's browser build)
//     served by static.mjs on its own origin, with page-lib.mjs's window.bench and the peers'
//     bundle (peers-entry.js) added;
//   - dist/ on a third origin (static.mjs with CORS, application/wasm), like a CDN would serve it;
//   - the random files, on disk, picked in the page through a file input.

import { startServer } from '../../tests/e2e/support/server.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { APIKEY, DIST, MiB, SIZE, WARM_SIZE } from './config.mjs';
import { PAGE_LIB } from './page-lib.mjs';

/** fn() with os.tmpdir() pointing at tmpRoot (BENCH_DIR's folder) just for the call. */
export async function withTmpDir(tmpRoot, fn) {
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmpRoot;
  try {
    return await fn();
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmp;
  }
}

/** skiff-server with its data folder in tmpRoot: startServer() puts it in os.tmpdir(). */
export function startBenchServer(tmpRoot) {
  return withTmpDir(tmpRoot, () => startServer({ name: 'bench', apikey: APIKEY }));
}

/** dist/ on its own origin (CORS, application/wasm), like a CDN would serve the package. */
export function startDistServer() {
  return startStaticServer({ page: null, folders: { '/': DIST }, cors: true });
}

/**
 * A fresh page (browser: driver.mjs) with window.bench and Skiff loaded from dist, and `scripts`
 * (sources, e.g. the peers' bundle) run in it; { tab, version }.
 */
export async function openBenchPage(browser, site, dist, scripts = []) {
  const tab = await browser.newPage(`${site.url}/`);
  await tab.addScript(PAGE_LIB);
  for (const source of scripts) await tab.addScript(source);
  const version = await tab.evaluate((u) => window.bench.loadSkiff(u), dist.url);
  return { tab, version };
}

/**
 * The benchmark's random files, written once to dir: 'big' (BENCH_SIZE_MIB) and 'warm' (16 MiB);
 * returns their { path, size, sha256 }. Files on disk, picked in the page like a user's, because
 * Chromium pages large in-memory Blobs out of its blob storage, and reading a paged-out part then
 * fails now and then with NotReadableError (seen with Chromium 156 on a 256 MiB Blob).
 */
export function writeFiles(dir) {
  const write = (name, size) => {
    const path = join(dir, name);
    const hash = createHash('sha256');
    const fd = openSync(path, 'w');
    try {
      for (let off = 0; off < size; off += 16 * MiB) {
        const chunk = randomBytes(Math.min(16 * MiB, size - off));
        hash.update(chunk);
        writeSync(fd, chunk);
      }
    } finally {
      closeSync(fd);
    }
    return { path, size, sha256: hash.digest('hex') };
  };
  return { big: write('bench-256.bin', SIZE), warm: write('bench-warm.bin', WARM_SIZE) };
}

/** Picks files (writeFiles') in the page through a file input: window.skiffFiles.big and .warm. */
export async function pickFiles(tab, files) {
  await tab.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.id = 'bench-files';
    input.hidden = true;
    document.body.append(input);
  });
  await tab.setInputFiles('bench-files', [files.big.path, files.warm.path]);
  const sizes = await tab.evaluate(() => {
    const [big, warm] = document.getElementById('bench-files').files;
    Object.assign(window.skiffFiles, { big, warm });
    return [big.size, warm.size];
  });
  if (sizes[0] !== files.big.size || sizes[1] !== files.warm.size) throw new Error(`the page got files of ${sizes} bytes`);
}
