// Azure Blob Storage for the tests: Azurite (npm `azurite`, a dev dependency) on a free loopback
// port with its data in a temporary folder, and one container made with @azure/storage-blob.
// Azurite knows one account, the emulator's well-known devstoreaccount1 and its published key.
//
//   const az = await startAzurite({ container: 'skiff' });
//   az.locationToml(name)   the server's [locations.<name>] table for the container
//   az.blobs(prefix)        the container's blob names under prefix
//   az.halt(), az.resume()  an outage: stopped, then started again on the same port and data
//   az.stop()

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { REPO_ROOT, freePort } from './server.mjs';

const ACCOUNT = 'devstoreaccount1';
// The emulator's published development key (the same in every Azurite), not a secret.
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startAzurite({ container = 'skiff' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-azurite-'));
  const port = await freePort();
  const bin = join(REPO_ROOT, 'node_modules', '.bin', 'azurite-blob');
  const log = [];
  let child;
  let exited;
  const launch = () => {
    child = spawn(bin, ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', dir, '--skipApiVersionCheck', '--loose'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [child.stdout, child.stderr]) s.on('data', (b) => { log.push(String(b)); if (log.length > 300) log.splice(0, 100); });
    exited = new Promise((ok) => child.once('exit', ok));
  };
  const halt = async () => {
    if (child.exitCode === null) { child.kill('SIGTERM'); await Promise.race([exited, sleep(5000)]); }
    if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
  };
  const endpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
  const service = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(ACCOUNT, KEY));
  const answering = async () => {
    for (let i = 0; ; i++) {
      try { await fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer()); return; } catch { /* not yet */ }
      if (child.exitCode !== null) throw new Error(`azurite exited: ${log.join('')}`);
      if (i > 200) throw new Error('azurite did not answer within 20 s');
      await sleep(100);
    }
  };
  launch();
  try {
    await answering();
    await service.getContainerClient(container).create();
  } catch (e) {
    await halt();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    endpoint,
    container,
    locationToml: (name) => [`[locations.${name}]`, 'kind = "azure"', `endpoint = "${endpoint}"`, `account = "${ACCOUNT}"`,
      `access_key = "${KEY}"`, `container = "${container}"`].join('\n'),
    blobs: async (prefix = '') => {
      const names = [];
      for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
      return names;
    },
    log: () => log.join(''),
    halt,
    resume: async () => { launch(); await answering(); },
    stop: async () => { await halt(); rmSync(dir, { recursive: true, force: true }); },
  };
}
