// The picker-open benchmark's site: one tiny static HTTP server on 127.0.0.1 (its own port) serving
//   /                  the page: the Uppy stylesheet and script, then /picker-page.js (a module)
//   /picker-page.js    bench/browser/picker-page.js (window.pickerBench, the code in the page)
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

const HERE = dirname(fileURLToPath(import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Picker open benchmark</title>
<link rel="stylesheet" href="/uppy/uppy.css">
<script src="/uppy/uppy.js"></script>
<script type="module" src="/picker-page.js"></script>
</head>
<body>
<main>
<h1>Picker open benchmark</h1>
<p>An ordinary page with a button that opens a file picker.</p>
<button type="button" id="pick">Choose files…</button>
</main>
</body>
</html>
`;

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
    let file = path === '/picker-page.js' ? join(HERE, 'picker-page.js') : null;
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
