// A real @uppy/companion (npm, installed by scripts/bench-cloud.sh into .cache/companion) doing
// what Companion does for an Uppy user: log in to a WebDAV server (its simple auth takes a public
// WebDAV URL, so the server must allow anonymous reads) and import one file into an upload
// endpoint with a multipart form POST, reporting progress over a WebSocket.
//
// Companion is run with streamingUpload off: on (its default), Companion 6.2.2 starts reading the
// download before the form encoder does, and the file arrives short by a few hundred KiB (seen
// here: 66,914,816 of 67,108,864 bytes, with Companion reporting success). Off, it downloads to
// its data folder first and then uploads, and the bytes arrive whole.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort } from '../../tests/e2e/support/server.mjs';

export const PREFIX = join(REPO_ROOT, '.cache', 'companion');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts Companion; returns { url, pid, stop() }. */
export async function startCompanion(dataDir) {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const bin = join(PREFIX, 'node_modules', '@uppy', 'companion', 'bin', 'companion');
  const log = [];
  const child = spawn(process.execPath, [bin], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      NODE_NO_WARNINGS: '1',
      COMPANION_SECRET: 'bench-companion-secret',
      COMPANION_DOMAIN: `127.0.0.1:${port}`,
      COMPANION_PORT: String(port),
      COMPANION_DATADIR: dataDir,
      COMPANION_ALLOW_LOCAL_URLS: 'true',
      COMPANION_UPLOAD_URLS: 'http://127\\.0\\.0\\.1:.*',
      COMPANION_STREAMING_UPLOAD: 'false',
      COMPANION_CLIENT_ORIGINS: 'true',
    },
  });
  child.stderr.on('data', (b) => log.push(String(b)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await fetch(url); break; } catch {
      if (child.exitCode !== null || i > 200) throw new Error(`Companion did not start: ${log.join('').slice(-2000)}`);
      await sleep(100);
    }
  }
  return { url, pid: child.pid, log: () => log.join(''), stop: () => child.kill() };
}

/**
 * Seconds Companion takes to import `path` from the anonymous WebDAV server at `webdavUrl` into
 * `endpoint` (a multipart form POST with the file as `fileUpload`); returns [seconds, answer body].
 */
export async function companionImport(companion, webdavUrl, path, endpoint, size) {
  const WebSocket = createRequire(join(PREFIX, 'node_modules', '/'))('ws');
  const post = async (p, body, headers = {}) => {
    const r = await fetch(`${companion.url}${p}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new Error(`Companion ${p}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { uppyAuthToken } = await post('/webdav/simple-auth', { form: { webdavUrl } });
  const t0 = performance.now();
  const { token } = await post(`/webdav/get/${encodeURIComponent(path)}`, {
    endpoint, protocol: 'multipart', fieldname: 'fileUpload', metadata: {}, httpMethod: 'POST', useFormData: true, size,
  }, { 'uppy-auth-token': uppyAuthToken });
  // Companion starts once a client listens on the upload's socket.
  const done = await new Promise((ok, fail) => {
    const ws = new WebSocket(`${companion.url.replace('http', 'ws')}/api/${token}`);
    ws.on('message', (m) => {
      const d = JSON.parse(m);
      if (d.action === 'success') { ws.close(); ok(d.payload); }
      if (d.action === 'error') { ws.close(); fail(new Error(`Companion: ${JSON.stringify(d.payload).slice(0, 500)}`)); }
    });
    ws.on('error', fail);
  });
  const seconds = (performance.now() - t0) / 1000;
  return [seconds, JSON.parse(done.response.responseText)];
}
