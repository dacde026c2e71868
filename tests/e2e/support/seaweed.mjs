// A real S3-compatible server for the tests: SeaweedFS's `weed mini` (from $SKIFF_WEED, which
// scripts/test.sh points at the copy scripts/setup.sh installs, else that copy, else the PATH),
// on loopback, with S3 credentials and one bucket, started the way the server's own bucket tests
// start it (crates/server/src/storage/seaweed.rs). Every listener (master, volume, filer, S3 and
// their gRPC ports) gets a free port, so test files running side by side each have their own.
//
//   const s3 = await startSeaweed({ bucket: 'picks', objects: { 'shared/a.txt': Buffer } });
//   s3.sourceToml({ prefix })   the server's [sources.customsource] table for the bucket
//   s3.storageToml({ prefix })  the server's [storage] table keeping files in the bucket
//   s3.list(prefix)             the bucket's keys under prefix (through the filer)
//   s3.halt(), s3.resume()      an outage: stopped, then started again with the same data
//   s3.put(key, bytes)          one more object
//   s3.stop()

import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO_ROOT, freePort } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ACCESS_KEY = 'e2e-key';
const SECRET_KEY = 'e2e-secret';

export function weedBinary() {
  const installed = join(REPO_ROOT, '.cache', 'tools-venv', 'bin', 'weed');
  const bin = process.env.SKIFF_WEED ?? (existsSync(installed) ? installed : 'weed');
  if (spawnSync(bin, ['version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`SeaweedFS (${bin}) is needed for the bucket source's tests: run scripts/setup.sh (or set SKIFF_WEED)`);
  }
  return bin;
}

export async function startSeaweed({ bucket = 'picks', objects = {} } = {}) {
  const bin = weedBinary();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-weed-'));
  const config = join(dir, 's3.json');
  writeFileSync(config, JSON.stringify({ identities: [{ name: 'e2e', credentials: [{ accessKey: ACCESS_KEY, secretKey: SECRET_KEY }],
    actions: ['Admin', 'Read', 'List', 'Write'] }] }));
  const ports = {};
  for (const name of ['master', 'volume', 'filer', 's3', 'admin']) {
    ports[name] = await freePort();
    ports[`${name}.grpc`] = await freePort();
  }
  const port = ports.s3;
  const FILER = `http://127.0.0.1:${ports.filer}`;
  const args = ['mini', `-dir=${join(dir, 'data')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    ...Object.entries(ports).map(([name, p]) => (name.endsWith('.grpc') ? `-${name.slice(0, -5)}.port.grpc=${p}` : `-${name}.port=${p}`)),
    `-s3.config=${config}`, '-master.telemetry=false', '-webdav=false', '-admin.ui=false', '-s3.port.iceberg=0',
    '-s3.port.lance=0'];
  const log = [];
  let child;
  let exited;
  const launch = () => {
    child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (b) => { log.push(String(b)); if (log.length > 400) log.splice(0, 100); });
    exited = new Promise((ok) => child.once('exit', ok));
  };
  const halt = async () => {
    if (child.exitCode === null) { child.kill('SIGTERM'); await Promise.race([exited, sleep(5000)]); }
    if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
  };
  const stop = async () => {
    await halt();
    rmSync(dir, { recursive: true, force: true });
  };
  const answering = async (endpoint) => {
    for (let i = 0; ; i++) {
      try { await fetch(endpoint).then((r) => r.arrayBuffer()); return; } catch { /* not listening yet */ }
      if (child.exitCode !== null) throw new Error(`weed mini exited (${child.exitCode}): ${log.join('').slice(-2000)}`);
      if (i > 240) throw new Error(`weed mini did not answer on ${endpoint} within 60 s`);
      await sleep(250);
    }
  };
  launch();
  try {
    const endpoint = `http://127.0.0.1:${port}`;
    await answering(endpoint);
    // The S3 API cannot make buckets without signing; weed's shell can.
    const shell = spawnSync(bin, ['shell', `-master=127.0.0.1:${ports.master}.${ports['master.grpc']}`], { input: `s3.bucket.create -name ${bucket}\n`, encoding: 'utf8', timeout: 60_000 });
    if (!/created bucket/.test(shell.stdout)) throw new Error(`weed shell: ${shell.stdout}${shell.stderr}`);
    // The filer shows buckets as folders: a file put there is an object of the bucket.
    const put = async (key, bytes) => {
      const url = `${FILER}/buckets/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
      const r = await fetch(url, { method: 'PUT', body: bytes });
      if (!r.ok) throw new Error(`PUT ${url}: HTTP ${r.status} ${await r.text()}`);
    };
    for (const [key, bytes] of Object.entries(objects)) await put(key, bytes);
    return {
      endpoint,
      bucket,
      put,
      sourceToml: ({ prefix } = {}) => [
        '[sources.customsource]',
        `endpoint = "${endpoint}"`,
        `bucket = "${bucket}"`,
        ...(prefix ? [`prefix = "${prefix}"`] : []),
        `access_key_id = "${ACCESS_KEY}"`,
        `secret_access_key = "${SECRET_KEY}"`,
      ].join('\n'),
      storageToml: ({ prefix } = {}) => [
        '[storage]',
        'kind = "s3"',
        `endpoint = "${endpoint}"`,
        `bucket = "${bucket}"`,
        ...(prefix ? [`prefix = "${prefix}"`] : []),
        `access_key_id = "${ACCESS_KEY}"`,
        `secret_access_key = "${SECRET_KEY}"`,
      ].join('\n'),
      list: async (prefix = '') => {
        const r = await fetch(`${FILER}/buckets/${bucket}/${prefix}?limit=1000`, { headers: { accept: 'application/json' } });
        if (r.status === 404) return [];
        if (!r.ok) throw new Error(`listing ${prefix}: HTTP ${r.status}`);
        const body = await r.json();
        return (body.Entries ?? []).map((e) => e.FullPath.replace(`/buckets/${bucket}/`, ''));
      },
      log: () => log.join(''),
      // An outage: the server is stopped, then started again on the same ports and data.
      halt,
      resume: async () => { launch(); await answering(endpoint); },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
