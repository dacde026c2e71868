// Builds the Uppy side of the picker-open benchmark: bench/browser/uppy/entry.mjs (Uppy core + the
// Dashboard + their CSS) bundled by esbuild, minified, as one IIFE script and one stylesheet:
//   .cache/bench-picker/uppy/uppy.js, .cache/bench-picker/uppy/uppy.css
// (.cache/ is git-ignored: this is never committed output). Rebuilt when the entry or an input
// package's version changed, or with force. The bundling itself is uppy-bundle.mjs's, shared with
// the big-folder benchmark.
//
//   node bench/browser/picker-uppy-build.mjs [--force]     (scripts/bench-picker.sh runs it)

import { join } from 'node:path';
import { bundleCommand, bundleUppy, REPO_ROOT } from './uppy-bundle.mjs';

export { REPO_ROOT };
export const UPPY_DIR = join(REPO_ROOT, '.cache', 'bench-picker', 'uppy');
export const UPPY_JS = join(UPPY_DIR, 'uppy.js');
export const UPPY_CSS = join(UPPY_DIR, 'uppy.css');
const ENTRY = join(REPO_ROOT, 'bench', 'browser', 'uppy', 'entry.mjs');
const PACKAGES = ['@uppy/core', '@uppy/dashboard', 'esbuild'];

/** Builds the bundle unless it is up to date; returns { dir, js, css, versions, built }. */
export function ensureUppyBundle({ force = false } = {}) {
  return bundleUppy({ entry: ENTRY, dir: UPPY_DIR, packages: PACKAGES, force });
}

bundleCommand(import.meta.url, { tag: 'bench-picker', build: ensureUppyBundle, where: (r) => `: ${r.js}, ${r.css}` });
