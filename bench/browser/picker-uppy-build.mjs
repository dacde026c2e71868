// Builds the Uppy side of the picker-open benchmark: bench/browser/uppy/entry.mjs (Uppy core + the
// Dashboard + their CSS) bundled by esbuild, minified, as one IIFE script and one stylesheet:
//   .cache/bench-picker/uppy/uppy.js, .cache/bench-picker/uppy/uppy.css
// (.cache/ is git-ignored: this is never committed output). Rebuilt when the entry or an input
// package's version changed, or with force.
//
//   node bench/browser/picker-uppy-build.mjs [--force]     (scripts/bench-picker.sh runs it)

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const UPPY_DIR = join(REPO_ROOT, '.cache', 'bench-picker', 'uppy');
export const UPPY_JS = join(UPPY_DIR, 'uppy.js');
export const UPPY_CSS = join(UPPY_DIR, 'uppy.css');
const ENTRY = join(REPO_ROOT, 'bench', 'browser', 'uppy', 'entry.mjs');
const STAMP = join(UPPY_DIR, 'stamp.json');
const PACKAGES = ['@uppy/core', '@uppy/dashboard', 'esbuild'];

/** { '@uppy/core': '6.3.1', … } from node_modules. */
export function packageVersions() {
  return Object.fromEntries(PACKAGES.map((p) => {
    const file = join(REPO_ROOT, 'node_modules', p, 'package.json');
    return [p, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : null];
  }));
}

/** Builds the bundle unless it is up to date; returns { js, css, versions, built }. */
export async function ensureUppyBundle({ force = false } = {}) {
  const versions = packageVersions();
  for (const [p, v] of Object.entries(versions)) {
    if (!v) throw new Error(`node_modules/${p} is missing: run npm ci`);
  }
  const stamp = JSON.stringify({ versions, entry: readFileSync(ENTRY, 'utf8') });
  const fresh = !force && existsSync(UPPY_JS) && existsSync(UPPY_CSS) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp;
  if (!fresh) {
    const esbuild = await import('esbuild');
    mkdirSync(UPPY_DIR, { recursive: true });
    // entryNames 'uppy': the JS goes to uppy.js and the CSS it imports to uppy.css.
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
  return { js: UPPY_JS, css: UPPY_CSS, versions, built: !fresh };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureUppyBundle({ force: process.argv.includes('--force') }).then((r) => {
    console.error(`[bench-picker] Uppy bundle ${r.built ? 'built' : 'up to date'}: ${r.js}, ${r.css} (${Object.entries(r.versions).map(([p, v]) => `${p} ${v}`).join(', ')})`);
  }, (e) => {
    console.error('[bench-picker] Uppy bundle build failed:', e?.stack ?? e);
    process.exit(2);
  });
}
