// Builds the Uppy side of the big-folder benchmark: bench/cloud/folder-uppy.mjs (Uppy core, the
// Dashboard, @uppy/webdav and their CSS) bundled by esbuild, minified, as one IIFE script and one
// stylesheet in .cache/bench-folder/uppy/ (uppy.js, uppy.css; .cache/ is ignored by git). Rebuilt
// only when the entry or a package version changed, or with --force. The bundling itself is
// bench/browser/uppy-bundle.mjs's, shared with the picker-open benchmark.
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

import { join } from 'node:path';
import { bundleCommand, bundleUppy, REPO_ROOT } from '../browser/uppy-bundle.mjs';

export { REPO_ROOT };
export const UPPY_DIR = join(REPO_ROOT, '.cache', 'bench-folder', 'uppy');
const ENTRY = join(REPO_ROOT, 'bench', 'cloud', 'folder-uppy.mjs');
const PACKAGES = ['@uppy/core', '@uppy/dashboard', '@uppy/webdav', 'esbuild'];

/** Builds the bundle unless it is up to date; returns { dir, js, css, versions, built }. */
export function ensureFolderUppyBundle({ force = false } = {}) {
  return bundleUppy({ entry: ENTRY, dir: UPPY_DIR, packages: PACKAGES, force });
}

bundleCommand(import.meta.url, { tag: 'bench-folder', build: ensureFolderUppyBundle });
