// Starts a provider stand-in (crates/standins: the provider's documented OAuth and API on
// loopback) for the browser tests of the sign-in popup.
//
// startStandin('dropbox') runs target/release/skiff-standins (building it when missing) and
// returns { url, content_url, client_id, client_secret, auth_url, token_url, registerRedirect(uri),
// denyNext(), sourceToml(), log(), stop() }; sourceToml() is the server's `[sources.<provider>]`
// table pointing at it.
//
// startFixtureStandin('unsplash' | 'googlephotos', items) runs the stand-ins that binary does not
// start, with skiff-standins' second binary (skiff-e2e-standins), with
// `items` [{id, name, mime, bytes}] as the photos (name: the description) or the library; the same object plus
// requests(prefix) (what the stand-in was asked: [{method, path, query, host, auth}]) and
// downloads() (Unsplash: uses reported).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './server.mjs';

/** A binary of crates/standins (`skiff-standins`, `skiff-e2e-standins`), built when missing. */
function binary(name = 'skiff-standins') {
  const bin = join(REPO_ROOT, 'target', 'release', name);
  if (!existsSync(bin)) {
    console.error('[e2e] building the stand-ins (cargo build --release -p skiff-standins) ...');
    const r = spawnSync('cargo', ['build', '--release', '-p', 'skiff-standins'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`building ${name} failed (status ${r.status})`);
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

export async function startFixtureStandin(provider, items) {
  const dir = mkdtempSync(join(tmpdir(), `skiff-e2e-${provider}-`));
  const fixture = join(dir, 'fixture.json');
  const listed = items.map(({ id, name, mime, bytes }, i) => {
    const file = join(dir, `${i}.bin`);
    writeFileSync(file, bytes);
    return { id, name, mime, file };
  });
  writeFileSync(fixture, JSON.stringify(listed));
  const [info, child, lines] = await launch(binary('skiff-e2e-standins'), [provider, fixture], provider);
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
