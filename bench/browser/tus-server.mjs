// A tus server for the benchmarks: @tus/server with @tus/file-store in its default
// configuration, on a free loopback port, storing under a temporary folder (or `directory`).
//
//   const tus = await startTusServer();   // { url, endpoint, port, directory, stop() }
//
// Run as a script (`node bench/browser/tus-server.mjs DIR`), the same server runs in a process of
// its own, so a benchmark can count its CPU time apart from the harness's; it prints
// {"port": N} on stdout once it listens and stops on SIGTERM (DIR is left for the caller).

import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

export async function startTusServer({ directory } = {}) {
  const own = !directory;
  const dir = directory ?? mkdtempSync(join(tmpdir(), 'skiff-bench-tus-'));
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
  const http = createServer((req, res) => tus.handle(req, res));
  await new Promise((ok, fail) => { http.once('error', fail); http.listen(0, '127.0.0.1', ok); });
  const { port } = http.address();
  return {
    port,
    directory: dir,
    url: `http://127.0.0.1:${port}`,
    endpoint: (origin) => `${origin}/files`,
    stop: () => new Promise((ok) => {
      http.closeAllConnections?.();
      http.close(() => { if (own) rmSync(dir, { recursive: true, force: true }); ok(); });
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startTusServer({ directory: process.argv[2] });
  process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
  console.log(JSON.stringify({ port: server.port }));
}
