// Starts a provider stand-in (crates/standins: the provider's documented OAuth and API on
// loopback) for the browser tests of the sign-in popup.
//
// startStandin('dropbox') runs target/release/skiff-standins (building it when missing) and
// returns { url, content_url, client_id, client_secret, auth_url, token_url, registerRedirect(uri),
// denyNext(), sourceToml(), log(), stop() }; sourceToml() is the server's `[sources.<provider>]`
// table pointing at it.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

export async function startStandin(provider) {
  const child = spawn(binary(), [provider], { stdio: ['ignore', 'pipe', 'pipe'] });
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
