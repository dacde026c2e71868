// A real load balancer for the scale-out tests: HAProxy (Debian's package; scripts/setup.sh
// installs it) in front of skiff-server instances, terminating TLS with a throw-away
// self-signed certificate (filestack-python speaks only https), sending each request to the
// next instance in turn (round robin, request by request even on one kept-alive connection),
// and taking an instance out within a second of its health check failing.
//
//   const lb = await startBalancer(ports);   lb.url (https://127.0.0.1:<port>), lb.cert (PEM path)
//   lb.log()  lb.stop()

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function haproxyBinary() {
  for (const bin of [process.env.SKIFF_HAPROXY, '/usr/sbin/haproxy', 'haproxy'].filter(Boolean)) {
    if (spawnSync(bin, ['-v'], { stdio: 'ignore' }).status === 0) return bin;
  }
  throw new Error('HAProxy is needed for the two-instance tests: run scripts/setup.sh (or set SKIFF_HAPROXY)');
}

/** Starts HAProxy on `port` (default: a free one) in front of the instances listening on `ports` (plain http). */
export async function startBalancer(ports, { port: wanted } = {}) {
  const bin = haproxyBinary();
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-lb-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-nodes', '-days', '2', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-keyout', key, '-out', cert, '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-addext', 'extendedKeyUsage=serverAuth'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'both.pem'), readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  const port = wanted ?? (await freePort());
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, [
    'global',
    '  log stderr format raw local0 info',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  timeout connect 2s',
    '  timeout client 300s',
    '  timeout server 300s',
    // A request that found no instance to connect to goes to the other one.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure',
    'frontend api',
    `  bind 127.0.0.1:${port} ssl crt ${join(dir, 'both.pem')}`,
    '  default_backend skiff',
    'backend skiff',
    '  balance roundrobin',
    '  option httpchk GET /health',
    '  default-server inter 300ms fall 1 rise 2',
    ...ports.map((p, i) => `  server s${i} 127.0.0.1:${p} check`),
    '',
  ].join('\n'));
  const lines = [];
  const child = spawn(bin, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) {
    s.on('data', (b) => { lines.push(...String(b).split('\n').filter(Boolean)); if (lines.length > 4000) lines.splice(0, 1000); });
  }
  const exited = new Promise((ok) => child.once('exit', ok));
  const lb = {
    url: `https://127.0.0.1:${port}`,
    cert,
    log: () => lines.join('\n'),
    async stop() {
      if (child.exitCode === null) { child.kill('SIGTERM'); await Promise.race([exited, sleep(5000)]); }
      if (child.exitCode === null) { child.kill('SIGKILL'); await exited; }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Up when the health page answers through it (both instances are up by then).
  for (let i = 0; ; i++) {
    const r = spawnSync('curl', ['-sf', '--cacert', cert, `${lb.url}/health`], { encoding: 'utf8' });
    if (r.status === 0) return lb;
    if (child.exitCode !== null || i > 100) {
      await lb.stop();
      throw new Error(`HAProxy did not answer on ${lb.url}: ${lines.join('\n')}`);
    }
    await sleep(100);
  }
}

