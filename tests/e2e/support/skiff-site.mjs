// A static server for Skiff's own browser module: the test page and dist/ (the package as it is
// published), on its own loopback port, so every API call from the page is cross-origin.
//
//   /               the test page (below): imports /dist/index.js as `window.skiff`
//   /dist/<file>    dist/<file> (index.js, skiff.js, skiff_bg.wasm as application/wasm)
//
// ensureDist() builds dist/ with scripts/build-wasm.sh when it is missing.

import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { REPO_ROOT } from './server.mjs';

export const DIST = join(REPO_ROOT, 'dist');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm', '.ts': 'text/plain' };

/** Builds dist/ when a file of it is missing; warns when it looks older than www/index.js. */
export function ensureDist() {
  const needed = ['index.js', 'skiff.js', 'skiff_bg.wasm'].map((f) => join(DIST, f));
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

const PAGE = `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Skiff e2e: client.upload against skiff-server</title>
<script type="module">
  import * as skiff from '/dist/index.js';
  window.skiff = skiff;
  // browser.mjs's openPage() waits for a global \`filestack\` with init(): Skiff's entry is the
  // Filestack-compatible one, so it stands in.
  window.filestack = skiff;
  window.skiffFiles = {};

  function hex(buf) {
    return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** A random File of \`size\` bytes (crypto.getRandomValues in 64 KiB slices) and its SHA-256. */
  window.skiffRandomFile = async function (id, size, name, type) {
    const bytes = new Uint8Array(size);
    for (let off = 0; off < size; off += 65536) {
      crypto.getRandomValues(bytes.subarray(off, Math.min(size, off + 65536)));
    }
    const sha256 = hex(await crypto.subtle.digest('SHA-256', bytes));
    window.skiffFiles[id] = new File([bytes], name, { type });
    return { size, sha256 };
  };

  /** What a thrown value is: Error or not, name, message, code. */
  window.skiffDescribe = function (e) {
    if (e instanceof Error) return { isError: true, name: e.name, message: e.message, code: e.code };
    return { isError: false, name: typeof e, message: String(e), code: undefined };
  };

  try {
    await skiff.loadWasm();
    window.skiffVersion = await skiff.version();
  } catch (e) {
    console.error('loading the wasm failed:', e);
  }
  window.skiffPageReady = true;
</script>
<h1>Skiff e2e</h1>
`;

export async function startSkiffSite() {
  const served = [];
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    served.push(path);
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' }).end(PAGE);
      return;
    }
    let file = null;
    if (path.startsWith('/dist/')) {
      const rel = normalize(path.slice('/dist/'.length));
      if (!rel.startsWith('..') && !rel.includes('\0')) file = join(DIST, rel);
    }
    if (!file) { res.writeHead(404).end('not found'); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    served,
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
