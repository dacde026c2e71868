// Bundle sizes: dist/skiff_bg.wasm, dist/skiff.js and dist/index.js vs filestack-js's browser build.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DIST, FILESTACK_UMD, MiB } from './config.mjs';

// zlib level 9 (what scripts/build-wasm.sh prints, and what gives filestack-js's 126 KB) and, when
// the gzip command is there, GNU `gzip -9 -n` (a different deflate implementation, a bit smaller).
export function gz(file) {
  const raw = readFileSync(file);
  const cli = spawnSync('gzip', ['-9', '-n', '-c', file], { maxBuffer: 64 * MiB });
  return { raw: raw.length, gz: gzipSync(raw, { level: 9 }).length, gnu: cli.status === 0 ? cli.stdout.length : NaN };
}

/** { wasm, glue, entry, fs }: each { raw, gz, gnu } bytes (gz()). */
export function bundleSizes() {
  return {
    wasm: gz(join(DIST, 'skiff_bg.wasm')),
    glue: gz(join(DIST, 'skiff.js')),
    entry: gz(join(DIST, 'index.js')),
    fs: gz(FILESTACK_UMD),
  };
}
