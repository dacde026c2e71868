// Builds the Uppy side of the big-folder benchmark: bench/cloud/folder-uppy.mjs (Uppy core, the
// Dashboard, @uppy/webdav and their CSS) bundled by esbuild, minified, as one IIFE script and one
// stylesheet in .cache/bench-folder/uppy/ (uppy.js, uppy.css; .cache/ is ignored by git). Rebuilt
// only when the entry or a package version changed, or with --force.
//
//   node bench/cloud/folder-uppy-build.mjs [--force]     (scripts/bench-folder.sh runs it)
//
// @uppy/webdav is a pinned devDependency in package.json, not an install next to Companion in
// .cache/companion: it is a plugin of the page's Uppy (it extends @uppy/core's UIPlugin and uses
// core's folder views and Companion client), so it has to resolve the very @uppy/core the Dashboard
// is bundled with, from the same node_modules, or the bundle would carry two cores. Companion is a
// server in a process of its own, so it can live apart. 2.0.0 is the release for @uppy/core 6 (the
// 1.x line wants core 5); it logs in with Companion's `POST /webdav/simple-auth` and lists with
// `GET /webdav/list/<path>`, both of which Companion 6.2.2 serves.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const UPPY_DIR = join(REPO_ROOT, '.cache', 'bench-folder', 'uppy');
const ENTRY = join(REPO_ROOT, 'bench', 'cloud', 'folder-uppy.mjs');
const STAMP = join(UPPY_DIR, 'stamp.json');
const PACKAGES = ['@uppy/core', '@uppy/dashboard', '@uppy/webdav', 'esbuild'];

/** { '@uppy/core': '6.3.1', … } as installed, null for a missing package. */
export function uppyVersions() {
  return Object.fromEntries(PACKAGES.map((p) => {
    const file = join(REPO_ROOT, 'node_modules', p, 'package.json');
    return [p, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : null];
  }));
}

/** Builds the bundle unless it is up to date; returns { dir, versions, built }. */
export async function ensureFolderUppyBundle({ force = false } = {}) {
  const versions = uppyVersions();
  for (const [p, v] of Object.entries(versions)) {
    if (!v) throw new Error(`node_modules/${p} is missing: run npm ci`);
  }
  const stamp = JSON.stringify({ versions, entry: readFileSync(ENTRY, 'utf8') });
  const js = join(UPPY_DIR, 'uppy.js');
  const css = join(UPPY_DIR, 'uppy.css');
  const fresh = !force && existsSync(js) && existsSync(css) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp;
  if (!fresh) {
    const esbuild = await import('esbuild');
    mkdirSync(UPPY_DIR, { recursive: true });
    // entryNames 'uppy': the script becomes uppy.js and the CSS it imports uppy.css.
    await esbuild.build({
      absWorkingDir: REPO_ROOT,
      entryPoints: [ENTRY],
      entryNames: 'uppy',
      outdir: UPPY_DIR,
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: ['chrome110'],
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
      loader: { '.css': 'css' },
      logLevel: 'warning',
    });
    writeFileSync(STAMP, stamp);
  }
  return { dir: UPPY_DIR, versions, built: !fresh };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureFolderUppyBundle({ force: process.argv.includes('--force') }).then((r) => {
    console.error(`[bench-folder] Uppy bundle ${r.built ? 'built' : 'up to date'} (${Object.entries(r.versions).map(([p, v]) => `${p} ${v}`).join(', ')})`);
  }, (e) => {
    console.error('[bench-folder] Uppy bundle build failed:', e?.stack ?? e);
    process.exit(2);
  });
}
