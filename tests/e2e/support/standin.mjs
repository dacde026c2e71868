// Starts a provider stand-in (crates/standins: the provider's documented OAuth and API on
// loopback) for the browser tests of the sign-in popup.
//
// startStandin('dropbox') runs target/release/skiff-standins (building it when missing) and
// returns { url, content_url, client_id, client_secret, auth_url, token_url, registerRedirect(uri),
// denyNext(), sourceToml(), log(), stop() }; sourceToml() is the server's `[sources.<provider>]`
// table pointing at it.
//
// startFixtureStandin('unsplash' | 'googlephotos', items) runs the stand-ins that binary does not
// start, from tests/e2e/fixtures/standins (built into target/e2e-standins when missing), with
// `items` [{id, name, mime, bytes}] as the photos (name: the description) or the library; the same object plus
// requests(prefix) (what the stand-in was asked: [{method, path, query, host, auth}]) and
// downloads() (Unsplash: uses reported).

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './server.mjs';

function binary() {
  const bin = join(REPO_ROOT, 'target', 'release', 'skiff-standins');
  if (!existsSync(bin)) {
    console.error('[e2e] building skiff-standins (cargo build --release -p skiff-standins) ...');
    const r = spawnSync('cargo', ['build', '--release', '-p', 'skiff-standins'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`building skiff-standins failed (status ${r.status})`);
  }
  return bin;
}

/** Starts `bin args` and reads the stand-in's first line: [info, child, stderr lines]. */
async function launch(bin, args, provider) {
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  child.stderr.on('data', (b) => lines.push(b.toString()));
  const info = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`the ${provider} stand-in did not start: ${lines.join('')}`)), 15_000);
    child.stdout.on('data', (b) => {
      out += b.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        ok(JSON.parse(out.slice(0, nl)));
      }
    });
    child.on('exit', (code) => fail(new Error(`the ${provider} stand-in exited (${code}): ${lines.join('')}`)));
  });
  return [info, child, lines];
}

export async function startStandin(provider) {
  const [info, child, lines] = await launch(binary(), [provider], provider);
  const post = (path, body = '') => fetch(`${info.url}${path}`, { method: 'POST', body }).then((r) => {
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  });
  return {
    ...info,
    registerRedirect: (uri) => post('/__standin/redirect', uri),
    sourceToml: () => [
      `[sources.${provider}]`,
      `client_id = "${info.client_id}"`,
      `client_secret = "${info.client_secret}"`,
      `auth_url = "${info.auth_url}"`,
      `token_url = "${info.token_url}"`,
      `api_url = "${info.url}"`,
      `content_url = "${info.content_url}"`,
    ].join('\n'),
    denyNext: () => post('/__standin/deny-next'),
    log: () => lines.join(''),
    async stop() {
      child.kill('SIGTERM');
    },
  };
}

const FIXTURE_CRATE = join(REPO_ROOT, 'tests', 'e2e', 'fixtures', 'standins');
const FIXTURE_TARGET = join(REPO_ROOT, 'target', 'e2e-standins');

function fixtureBinary() {
  const bin = join(FIXTURE_TARGET, 'release', 'skiff-e2e-standins');
  if (!existsSync(bin)) {
    // Its own workspace and target folder: about a minute the first time. The workspace's lock
    // file seeds its own, so it builds with the same versions.
    console.error('[e2e] building skiff-e2e-standins (tests/e2e/fixtures/standins) ...');
    const lock = join(FIXTURE_CRATE, 'Cargo.lock');
    if (!existsSync(lock)) copyFileSync(join(REPO_ROOT, 'Cargo.lock'), lock);
    const r = spawnSync('cargo', ['build', '--release', '--quiet', '--manifest-path', join(FIXTURE_CRATE, 'Cargo.toml')], {
      cwd: FIXTURE_CRATE, stdio: 'inherit', env: { ...process.env, CARGO_TARGET_DIR: FIXTURE_TARGET },
    });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`building skiff-e2e-standins failed (status ${r.status})`);
  }
  return bin;
}

export async function startFixtureStandin(provider, items) {
  const dir = mkdtempSync(join(tmpdir(), `skiff-e2e-${provider}-`));
  const fixture = join(dir, 'fixture.json');
  const listed = items.map(({ id, name, mime, bytes }, i) => {
    const file = join(dir, `${i}.bin`);
    writeFileSync(file, bytes);
    return { id, name, mime, file };
  });
  writeFileSync(fixture, JSON.stringify(listed));
  const [info, child, lines] = await launch(fixtureBinary(), [provider, fixture], provider);
  const control = (path) => fetch(`${info.control_url}${path}`).then((r) => {
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  });
  const oauth = [
    `[sources.${provider}]`,
    `client_id = "${info.client_id}"`,
    `client_secret = "${info.client_secret}"`,
    `auth_url = "${info.auth_url}"`,
    `token_url = "${info.token_url}"`,
    `api_url = "${info.url}"`,
    `content_url = "${info.content_url}"`,
  ];
  // Unsplash signs with the server's key alone: no sign-in, no content host to name.
  const unsplash = [`[sources.${provider}]`, `api_key = "${info.client_id}"`, `api_url = "${info.url}"`];
  return {
    ...info,
    registerRedirect: (uri) => fetch(`${info.url}/__standin/redirect`, { method: 'POST', body: uri }).then((r) => {
      if (!r.ok) throw new Error(`/__standin/redirect: HTTP ${r.status}`);
    }),
    sourceToml: () => (provider === 'unsplash' ? unsplash : oauth).join('\n'),
    requests: (prefix = '/') => control(`/requests?prefix=${encodeURIComponent(prefix)}`),
    downloads: () => control('/downloads'),
    log: () => lines.join(''),
    async stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
