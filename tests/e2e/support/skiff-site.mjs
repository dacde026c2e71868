// The site for Skiff's own browser module: the test page and dist/ (the package as it is
// published), on its own loopback port (static.mjs), so every API call from the page is cross-origin.
//
//   /               the test page (skiff-page.html): imports /dist/index.js as `window.skiff`
//   /page-files.js  the random-File helper (page-files.js), shared with page.html
//   /dist/<file>    dist/<file> (index.js, skiff.js, skiff_bg.wasm as application/wasm)
//
// ensureDist() builds dist/ with scripts/build-wasm.sh when it is missing.

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './server.mjs';
import { SUPPORT, startStaticServer } from './static.mjs';

export const DIST = join(REPO_ROOT, 'dist');

/** Builds dist/ when a file of it is missing; warns when it looks older than www/index.js. */
export function ensureDist() {
  const needed = ['index.js', 'skiff.js', 'skiff_bg.wasm', 'skiff_picker.js', 'skiff_picker_bg.wasm'].map((f) => join(DIST, f));
  if (needed.some((f) => !existsSync(f))) {
    console.error('[e2e] dist/ is missing: building it (bash scripts/build-wasm.sh) ...');
    const r = spawnSync('bash', ['scripts/build-wasm.sh'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (r.status !== 0 || needed.some((f) => !existsSync(f))) throw new Error(`bash scripts/build-wasm.sh failed (status ${r.status})`);
  } else {
    const www = join(REPO_ROOT, 'www', 'index.js');
    if (existsSync(www) && statSync(www).mtimeMs > statSync(needed[0]).mtimeMs + 1000) {
      console.error('[e2e] note: www/index.js is newer than dist/index.js; run bash scripts/build-wasm.sh to test the current source');
    }
  }
}

/** Returns { url, port, served, stop() } (static.mjs). */
export function startSkiffSite() {
  return startStaticServer({ page: join(SUPPORT, 'skiff-page.html'), folders: { '/dist/': DIST } });
}
