// A tus server for the benchmarks: @tus/server with @tus/file-store in its default
// configuration, on a free loopback port, storing under a temporary folder.
//
//   const tus = await startTusServer();   // { url, endpoint, port, stop() }

import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

export async function startTusServer() {
  const directory = mkdtempSync(join(tmpdir(), 'skiff-bench-tus-'));
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory }) });
  const http = createServer((req, res) => tus.handle(req, res));
  await new Promise((ok, fail) => { http.once('error', fail); http.listen(0, '127.0.0.1', ok); });
  const { port } = http.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    endpoint: (origin) => `${origin}/files`,
    stop: () => new Promise((ok) => {
      http.closeAllConnections?.();
      http.close(() => { rmSync(directory, { recursive: true, force: true }); ok(); });
    }),
  };
}
