// A tiny static HTTP server for the test pages. It runs on its own port, so the page's origin
// differs from the API's and every API call from the page is a real cross-origin request.
//
// startStaticServer() (the filestack-js page) serves:
//   /                         test page (page.html)
//   /page-files.js            page-files.js, the random-File helper every test page loads
//   /filestack/<file>         node_modules/filestack-js/build/browser/<file>
//
// Options, for the other sites built on it (skiff-site.mjs, bench/browser/site.mjs):
//   page      the file served at / and /index.html (with /page-files.js); null serves no page
//   folders   { '/prefix/': folder }: /prefix/<file> is folder/<file> (default: /filestack/ above)
//   cors      true: every answer, 404s included, carries Access-Control-Allow-Origin: * (a CDN)
//
// The page asked for with `?csp=<policy>` comes with that Content-Security-Policy header (tests
// of the package under a strict policy).
//
// Returns { url, port, served: every path requested, stop() }.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { REPO_ROOT } from './server.mjs';

export const SUPPORT = join(REPO_ROOT, 'tests', 'e2e', 'support');
const FILESTACK_BUILD = join(REPO_ROOT, 'node_modules', 'filestack-js', 'build', 'browser');
const PAGE_FILES = join(SUPPORT, 'page-files.js');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain',
};

/** The file a request path maps to, or null. */
function resolve(path, page, folders) {
  if (page && (path === '/' || path === '/index.html')) return page;
  if (page && path === '/page-files.js') return PAGE_FILES;
  for (const [prefix, folder] of Object.entries(folders)) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(path.slice(prefix.length));
    if (!rel.startsWith('..') && !rel.includes('\0')) return join(folder, rel);
  }
  return null;
}

export async function startStaticServer({ page = join(SUPPORT, 'page.html'), folders = { '/filestack/': FILESTACK_BUILD }, cors = false } = {}) {
  const served = [];
  const extra = cors ? { 'access-control-allow-origin': '*' } : {};
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    served.push(path);
    const file = resolve(path, page, folders);
    if (!file) { res.writeHead(404, extra).end('not found'); return; }
    const policy = file === page ? url.searchParams.get('csp') : null;
    try {
      const body = await readFile(file);
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...extra, 'cache-control': 'no-store' };
      if (policy) headers['content-security-policy'] = policy;
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, extra).end('not found');
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
