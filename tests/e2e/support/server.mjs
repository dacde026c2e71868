// Starts and stops skiff-server for the end-to-end tests.
//
// startServer() picks a free loopback port, creates a temporary data folder, runs the binary
// from $SKIFF_SERVER_BIN or target/release/skiff-server (building it when missing), waits for
// GET /health and returns { url, port, apikey, log(), restart(), stop() }. Everything the server prints is
// kept so a failing test can show it.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const running = new Set(); // live server processes
const dataDirs = new Set(); // temporary data folders not yet removed
function killAll() {
  // Last resort if a test run dies without calling stop(): never leave servers behind.
  for (const child of running) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  for (const dir of dataDirs) {
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => { killAll(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
}

/** Path of the server binary; builds it with cargo when it is not there yet. */
export function serverBinary() {
  if (process.env.SKIFF_SERVER_BIN) {
    if (!existsSync(process.env.SKIFF_SERVER_BIN)) {
      throw new Error(`SKIFF_SERVER_BIN=${process.env.SKIFF_SERVER_BIN} does not exist`);
    }
    return process.env.SKIFF_SERVER_BIN;
  }
  const bin = join(REPO_ROOT, 'target', 'release', 'skiff-server');
  if (!existsSync(bin)) {
    console.error('[e2e] building skiff-server (cargo build --release -p skiff-server) ...');
    const r = spawnSync('cargo', ['build', '--release', '-p', 'skiff-server'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`cargo build --release -p skiff-server failed (status ${r.status})`);
  }
  return bin;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts skiff-server.
 * @param {{apikey?: string, allowPrivateUrls?: boolean, extraArgs?: string[], name?: string}} opts
 */
export async function startServer(opts = {}) {
  const bin = serverBinary();
  const apikey = opts.apikey ?? 'e2e-key';
  const name = opts.name ?? 'skiff';
  // Environment without SKIFF_* settings of the caller, so only our arguments count.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SKIFF_')));
  env.RUST_LOG ??= 'info,tower_http=warn';
  env.NO_COLOR = '1';

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const data = mkdtempSync(join(tmpdir(), `skiff-e2e-${name}-`));
    dataDirs.add(data);
    const args = ['--listen', `127.0.0.1:${port}`, '--data', data, '--app', apikey];
    if (opts.allowPrivateUrls) args.push('--allow-private-urls');
    if (opts.extraArgs) args.push(...opts.extraArgs);

    const lines = [];
    let child;
    let exited = null;
    let exitPromise;
    const collect = (tag) => {
      let rest = '';
      return (buf) => {
        // eslint-disable-next-line no-control-regex
        const text = rest + buf.toString().replace(/\x1b\[[0-9;]*m/g, '');
        const parts = text.split('\n');
        rest = parts.pop();
        for (const l of parts) if (l.trim()) lines.push(`[${name} ${tag}] ${l}`);
        if (lines.length > 5000) lines.splice(0, lines.length - 5000);
      };
    };
    const launch = () => {
      exited = null;
      child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      const me = child;
      exitPromise = new Promise((r) => me.on('exit', (code, signal) => {
        exited = { code, signal };
        running.delete(me);
        r(exited);
      }));
      child.stdout.on('data', collect('out'));
      child.stderr.on('data', collect('err'));
    };
    const kill = async (signal) => {
      if (exited) return;
      child.kill(signal);
      const done = await Promise.race([exitPromise, sleep(5000).then(() => null)]);
      if (!done) {
        child.kill('SIGKILL');
        await exitPromise;
      }
    };
    const healthy = async () => {
      const deadline = Date.now() + 15000;
      while (!exited && Date.now() < deadline) {
        try {
          const r = await fetch(`${url}/health`);
          if (r.ok) return true;
        } catch { /* not listening yet */ }
        await sleep(50);
      }
      return false;
    };
    launch();

    const url = `http://127.0.0.1:${port}`;
    const server = {
      name,
      url,
      port,
      apikey,
      data,
      args,
      get pid() { return child.pid; },
      log: () => lines.join('\n'),
      /** Kills the process (SIGKILL: no chance to tidy up) and starts it again on the same port and data. */
      async restart() {
        await kill('SIGKILL');
        launch();
        if (!(await healthy())) throw new Error(`skiff-server did not come back after a restart\n${server.log()}`);
      },
      async stop() {
        await kill('SIGTERM');
        rmSync(data, { recursive: true, force: true });
        dataDirs.delete(data);
      },
    };

    if (await healthy()) return server;
    await server.stop();
    const why = exited ? `exited with ${JSON.stringify(exited)}` : 'did not answer /health within 15 s';
    if (attempt < 3 && exited && /cannot listen/.test(server.log())) continue; // port taken meanwhile
    throw new Error(`skiff-server ${why}\n${bin} ${args.join(' ')}\n--- server log ---\n${server.log()}`);
  }
}
