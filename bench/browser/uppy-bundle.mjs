// The Uppy bundles of the benchmarks that put Skiff's picker next to Uppy's (picker-uppy-build.mjs
// for the picker-open benchmark, ../cloud/folder-uppy-build.mjs for the big-folder one): an Uppy app
// (an entry module) bundled by esbuild, minified, as one IIFE script and one stylesheet, uppy.js and
// uppy.css, in a folder under .cache/ (ignored by git: never committed output).
//
// Next to them a stamp holds the versions of the packages that go into the bundle (esbuild
// included, since another esbuild may emit other code) and the entry's text, so a run rebuilds only
// when one of those changed, or when asked to.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** { '@uppy/core': '6.3.1', … } as installed in node_modules, null for a missing package. */
export function packageVersions(packages) {
  return Object.fromEntries(packages.map((p) => {
    const file = join(REPO_ROOT, 'node_modules', p, 'package.json');
    return [p, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : null];
  }));
}

/** 'name version, name version, …' for a report or a log line. */
export const versionList = (versions) => Object.entries(versions).map(([p, v]) => `${p} ${v}`).join(', ');

/**
 * Bundles `entry` into `dir` unless the bundle there is up to date (or `force`); `packages` are the
 * node_modules packages whose versions decide that. Returns { dir, js, css, versions, built }.
 */
export async function bundleUppy({ entry, dir, packages, force = false }) {
  const versions = packageVersions(packages);
  for (const [p, v] of Object.entries(versions)) {
    if (!v) throw new Error(`node_modules/${p} is missing: run npm ci`);
  }
  const js = join(dir, 'uppy.js');
  const css = join(dir, 'uppy.css');
  const stampFile = join(dir, 'stamp.json');
  const stamp = JSON.stringify({ versions, entry: readFileSync(entry, 'utf8') });
  const fresh = !force && existsSync(js) && existsSync(css) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  if (!fresh) {
    const esbuild = await import('esbuild');
    mkdirSync(dir, { recursive: true });
    // entryNames 'uppy': the script becomes uppy.js and the CSS it imports uppy.css.
    await esbuild.build({
      absWorkingDir: REPO_ROOT,
      entryPoints: [entry],
      entryNames: 'uppy',
      outdir: dir,
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
    writeFileSync(stampFile, stamp);
  }
  return { dir, js, css, versions, built: !fresh };
}

/**
 * The command line of a build script (`node <script> [--force]`): when the module at `moduleUrl` is
 * the one node was started with, runs `build` and says on stderr, after `[tag]`, what it did
 * (`where(result)` may add where the files went); a failed build exits with 2, a setup error.
 */
export function bundleCommand(moduleUrl, { tag, build, where = () => '' }) {
  if (!process.argv[1] || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  build({ force: process.argv.includes('--force') }).then((r) => {
    console.error(`[${tag}] Uppy bundle ${r.built ? 'built' : 'up to date'}${where(r)} (${versionList(r.versions)})`);
  }, (e) => {
    console.error(`[${tag}] Uppy bundle build failed:`, e?.stack ?? e);
    process.exit(2);
  });
}
