// The servers the upload benchmark's contenders upload to, each as a "target":
//   skiff  skiff-server (site.mjs's startBenchServer): Skiff, filestack-js and the plain PUT;
//   tus    @tus/server + @tus/file-store in a process of its own (tus-server.mjs): tus-js-client and
//          Uppy + @uppy/tus;
//   skiff-ram  skiff-server again, its data folder on a tmpfs (RAM_DIR): fsync costs nothing
//          there, which puts Skiff on the footing of the peers' servers in a run (they do not
//          fsync, and their bytes stay in the page cache);
//   s3     SeaweedFS (`weed mini`, tests/e2e/support/seaweed.mjs) with one bucket, and a signing
//          endpoint in this process that presigns each S3 request of Uppy + @uppy/aws-s3 with Uppy's
//          own SigV4 presigner (the one its client-side signing mode runs in the browser).
// Every data folder but skiff-ram's is under the benchmark's folder (BENCH_DIR), on the same disk.
//
// A target is { name, url (what the page is given), pid (its server process, for cpu.mjs), log(),
// stored(result, hash) -> { size, sha256? } (what the server holds for a run's result, hashed when
// asked), remove(result), stop() }.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../tests/e2e/support/server.mjs';
import { startSeaweed } from '../../tests/e2e/support/seaweed.mjs';
import { RAM_DIR } from './config.mjs';
import { childPid } from './processes.mjs';
import { startBenchServer, withTmpDir } from './site.mjs';
import { deleteFile, sha256OfUrl } from './stored-files.mjs';

/** skiff-server: every result carries its size; the bytes are read back through its URL. */
export async function skiffTarget(tmpRoot) {
  const server = await startBenchServer(tmpRoot);
  return {
    name: 'skiff-server',
    server,
    url: server.url,
    pid: server.pid,
    log: () => server.log(),
    stored: async (result, hash) => (hash ? sha256OfUrl(result.url || `${server.url}/${result.handle}`) : { size: result.size }),
    remove: (result) => deleteFile(server.url, result.handle),
    stop: () => server.stop(),
  };
}

/** skiff-server with its data folder under RAM_DIR (a tmpfs); the rows that use it explain. */
export async function skiffRamTarget() {
  return { ...(await skiffTarget(RAM_DIR)), name: 'skiff-server, data on tmpfs' };
}

/** Kills process `pid` when this process exits without having stopped it (a failure, Ctrl-C). */
function killOnExit(pid) {
  const kill = () => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', kill);
  return () => process.off('exit', kill);
}

/** The SHA-256 and size of a file on disk. */
async function sha256OfFile(path) {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) { h.update(chunk); size += chunk.length; }
  return { size, sha256: h.digest('hex') };
}

/** @tus/server + @tus/file-store in its own process; uploads land in tmpRoot/tus/<id>. */
export async function tusTarget(tmpRoot) {
  const directory = join(tmpRoot, 'tus');
  mkdirSync(directory, { recursive: true });
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'browser', 'tus-server.mjs'), directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  const forget = killOnExit(child.pid);
  const lines = [];
  child.stderr.on('data', (b) => { lines.push(String(b)); if (lines.length > 200) lines.shift(); });
  const exited = new Promise((ok) => child.once('exit', ok));
  const { port } = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (b) => { out += b; if (out.includes('\n')) ok(JSON.parse(out)); });
    child.once('exit', (code) => fail(new Error(`the tus server exited (${code}): ${lines.join('')}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const file = (result) => join(directory, new URL(result.url).pathname.split('/').at(-1));
  return {
    name: '@tus/server',
    url,
    pid: child.pid,
    log: () => lines.join(''),
    stored: async (result, hash) => (hash ? sha256OfFile(file(result)) : { size: statSync(file(result)).size }),
    remove: async (result) => {
      // The termination extension: the upload and its metadata file are deleted.
      const r = await fetch(result.url, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0' } });
      if (r.status !== 204) throw new Error(`DELETE ${result.url}: ${r.status} ${await r.text()}`);
    },
    stop: async () => { child.kill('SIGTERM'); await exited; forget(); },
  };
}

/** SeaweedFS with a bucket `bench`, and the signing endpoint Uppy's aws-s3 plugin asks. */
export async function s3Target(tmpRoot) {
  const bucket = 'bench';
  const s3 = await withTmpDir(tmpRoot, () => startSeaweed({ bucket }));
  const pid = childPid(/weed mini/);
  const forget = killOnExit(pid);
  // The bucket's credentials, as seaweed.mjs gives them to skiff-server.
  const toml = s3.storageToml();
  const setting = (k) => new RegExp(`^${k} = "(.*)"$`, 'm').exec(toml)[1];
  const { createSigV4Presigner } = await import(pathToFileURL(join(REPO_ROOT, 'node_modules', '@uppy', 'aws-s3', 'lib', 's3-client', 'signer.js')).href);
  const presign = createSigV4Presigner({
    accessKeyId: setting('access_key_id'),
    secretAccessKey: setting('secret_access_key'),
    region: 'us-east-1',
    endpoint: `${s3.endpoint}/${bucket}`,
  });
  // POST /sign with one of @uppy/aws-s3's requests ({ method, key, uploadId?, partNumber? })
  // answers { url }, as its `signRequest` option expects. Every origin may ask (a bench on loopback).
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' };
  const signer = createServer((req, res) => {
    if (req.method === 'OPTIONS') { res.writeHead(204, cors).end(); return; }
    let body = '';
    req.on('data', (b) => { body += b; });
    req.on('end', async () => {
      try {
        const signed = await presign(JSON.parse(body));
        res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(signed));
      } catch (e) {
        res.writeHead(400, cors).end(String(e?.message ?? e));
      }
    });
  });
  await new Promise((ok, fail) => { signer.once('error', fail); signer.listen(0, '127.0.0.1', ok); });
  const signed = async (method, key) => (await presign({ method, key, expiresIn: 600 })).url;
  return {
    name: 'SeaweedFS',
    url: `http://127.0.0.1:${signer.address().port}`,
    pid,
    log: () => s3.log(),
    stored: async (result, hash) => {
      if (hash) return sha256OfUrl(await signed('GET', result.key));
      const r = await fetch(await signed('HEAD', result.key), { method: 'HEAD' });
      if (!r.ok) throw new Error(`HEAD ${result.key}: ${r.status}`);
      return { size: Number(r.headers.get('content-length')) };
    },
    remove: async (result) => {
      const r = await fetch(await signed('DELETE', result.key), { method: 'DELETE' });
      if (!r.ok) throw new Error(`DELETE ${result.key}: ${r.status} ${await r.text()}`);
    },
    stop: async () => {
      signer.closeAllConnections();
      await new Promise((ok) => signer.close(ok));
      await s3.stop();
      forget();
    },
  };
}
