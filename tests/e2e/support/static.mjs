// A tiny static HTTP server for the test page. It runs on its own port, so the page's origin
// differs from the API's and every API call from filestack-js is a real cross-origin request.
//
//   /                         test page (page.html)
//   /filestack/<file>         node_modules/filestack-js/build/browser/<file>

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { REPO_ROOT } from './server.mjs';

const SUPPORT = join(REPO_ROOT, 'tests', 'e2e', 'support');
const FILESTACK_BUILD = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.json': 'application/json' };

export async function startStaticServer() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    let file = null;
    if (path === '/' || path === '/index.html') file = join(SUPPORT, 'page.html');
    else if (path.startsWith('/filestack/')) {
      const rel = normalize(path.slice('/filestack/'.length));
      if (!rel.startsWith('..') && !rel.includes('\0')) file = join(FILESTACK_BUILD, rel);
    }
    if (!file) { res.writeHead(404).end('not found'); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
