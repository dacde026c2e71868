// A throwaway PostgreSQL for the tests, as crates/server/tests/postgres/cluster.rs makes one:
// initdb in a temporary folder, pg_ctl start on a free loopback port with its socket in that
// folder, durability off (the tests never crash the machine). When root, the folder belongs to
// the postgres user and the programs run as it (PostgreSQL refuses to run as root).
//
//   const pg = await startPostgres();
//   pg.url           postgres://postgres:<password>@127.0.0.1:<port>/postgres
//   pg.stop()  pg.start()   a restart, as in an outage (fast: open sessions are ended)
//   pg.remove()      stops it and removes the folder

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.mjs';

const PASSWORD = 'skiff-e2e-pg';

function binDir() {
  const has = (d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl'));
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(base, v, 'bin')).find(has);
  if (found) return found;
  const r = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (r.status === 0 && has(r.stdout.trim())) return r.stdout.trim();
  throw new Error('PostgreSQL server programs (initdb, pg_ctl) are needed: run scripts/setup.sh');
}

export async function startPostgres() {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-e2e-pg-'));
  if (root) execFileSync('chown', ['postgres:', dir]);
  else chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'pwfile'), PASSWORD);
  if (root) execFileSync('chown', ['postgres:', join(dir, 'pwfile')]);
  const run = (program, args) => {
    const exe = join(bin, program);
    const r = root
      ? spawnSync('runuser', ['-u', 'postgres', '--', exe, ...args], { encoding: 'utf8' })
      : spawnSync(exe, args, { encoding: 'utf8' });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  };
  const init = run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256',
    `--pwfile=${join(dir, 'pwfile')}`, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  if (!init.ok) throw new Error(`initdb: ${init.out}`);
  let port = 0;
  const options = () => `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pg = {
    dir,
    get url() { return `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`; },
    start() {
      const r = run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o', options(), '-w', 'start']);
      if (!r.ok) throw new Error(`pg_ctl start: ${r.out}\n${pg.log()}`);
    },
    stop() {
      const r = run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']);
      if (!r.ok) throw new Error(`pg_ctl stop: ${r.out}`);
    },
    log: () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : ''),
    remove() {
      run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // A port free a moment ago may be taken by the time the server binds it.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      pg.start();
      return pg;
    } catch (e) {
      if (attempt >= 3) { pg.remove(); throw e; }
    }
  }
}
