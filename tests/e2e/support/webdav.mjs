// A real WebDAV server for the tests: `rclone serve webdav` over a folder, read-only, on loopback,
// with Basic credentials, or none with `{ user: null }` (scripts/setup.sh installs rclone).
//
//   const dav = await startWebdav(dir, { user: 'u', pass: 'p' });   // { url, port, stop() }

import { spawn, spawnSync } from 'node:child_process';
import { freePort } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startWebdav(dir, { user = 'u', pass = 'p' } = {}) {
  if (spawnSync('rclone', ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('rclone is needed for the WebDAV tests: run scripts/setup.sh test (or apt-get install rclone)');
  }
  const port = await freePort();
  const args = ['serve', 'webdav', dir, '--addr', `127.0.0.1:${port}`, '--read-only', '--config', '/dev/null'];
  if (user !== null) args.push('--user', user, '--pass', pass);
  const child = spawn('rclone', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = [];
  child.stderr.on('data', (b) => log.push(String(b)));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(url, { method: 'OPTIONS' });
      await res.arrayBuffer();
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`rclone exited: ${log.join('')}`);
      await sleep(25);
    }
  }
  return {
    url,
    port,
    log: () => log.join(''),
    stop: () => new Promise((ok) => { if (child.exitCode !== null) ok(); else { child.once('exit', ok); child.kill(); } }),
  };
}
