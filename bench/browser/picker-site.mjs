// The picker-open benchmark's site: one tiny static HTTP server on 127.0.0.1 (its own port) serving
//   /                  the page (head-to-head.mjs's benchPage): the Uppy stylesheet and script, then
//                      /picker-page.js (a module)
//   /picker-page.js    bench/browser/picker-page.js (window.pickerBench, the code in the page)
//   /page-frames.js    bench/browser/page-frames.js (frame helpers picker-page.js imports)
//   /dist/<file>       a snapshot of dist/ taken when the benchmark starts (Skiff: index.js,
//                      skiff.js, skiff_bg.wasm), so a rebuild of dist/ during the run changes nothing
//   /uppy/<file>       the Uppy bundle (uppy.js, uppy.css; picker-uppy-build.mjs)
// Everything is sent with `cache-control: no-store`, and every page gets a fresh browser context:
// each page loads, compiles and instantiates everything anew.

import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchPage } from './head-to-head.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

const PAGE = benchPage({
  title: 'Picker open benchmark',
  text: 'An ordinary page with a button that opens a file picker.',
  script: '/picker-page.js',
  body: ['<button type="button" id="pick">Choose files…</button>'],
});
// The page's modules, served from this folder under their own names.
const PAGE_MODULES = ['picker-page.js', 'page-frames.js'];

/** Copies dist/ to snapshotDir (replacing it); returns snapshotDir. */
export function snapshotDist(distDir, snapshotDir) {
  rmSync(snapshotDir, { recursive: true, force: true });
  mkdirSync(snapshotDir, { recursive: true });
  if (existsSync(distDir)) cpSync(distDir, snapshotDir, { recursive: true });
  return snapshotDir;
}

/** Starts the server; { url, stop() }. */
export async function startPickerSite({ distDir, uppyDir }) {
  const folders = { '/dist/': distDir, '/uppy/': uppyDir };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const headers = { 'cache-control': 'no-store' };
    if (path === '/favicon.ico') { res.writeHead(204, headers).end(); return; }
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html'] }).end(PAGE);
      return;
    }
    let file = PAGE_MODULES.includes(path.slice(1)) ? join(HERE, path.slice(1)) : null;
    for (const [prefix, folder] of Object.entries(folders)) {
      if (file || !path.startsWith(prefix)) continue;
      const rel = normalize(decodeURIComponent(path.slice(prefix.length)));
      if (!rel.startsWith('..') && !rel.includes('\0')) file = join(folder, rel);
    }
    if (!file) { res.writeHead(404, headers).end('not found'); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
