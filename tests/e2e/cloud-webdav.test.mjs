// End-to-end: unmodified filestack-js 4.3.8 in Chromium uses skiff-server's Cloud API for the
// app owner's WebDAV source, served by a real WebDAV server (rclone) and configured in the
// server's TOML (`[sources.webdav]`): `client.cloud.list` browses it (paths, sizes, `accept`),
// `client.cloud.store` imports a file with upload tags (bytes compared), `client.logout` works.
//
// Run: node --test tests/e2e/cloud-webdav.test.mjs
// Needs rclone (scripts/setup.sh installs it), /usr/bin/chromium and the server binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, openPage } from './support/browser.mjs';
import { startServer } from './support/server.mjs';
import { startStaticServer } from './support/static.mjs';
import { startWebdav } from './support/webdav.mjs';

const BIG = randomBytes(3 * 1024 * 1024 + 5);
let dir;
let dav;
let server;
let site;
let browser;
let tab;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-dav-'));
  mkdirSync(join(dir, 'docs', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'readme.txt'), 'hello from WebDAV\n');
  writeFileSync(join(dir, 'photo.jpg'), 'not really a jpeg');
  writeFileSync(join(dir, 'docs', 'report q3.csv'), 'a,b\n1,2\n');
  writeFileSync(join(dir, 'docs', 'Überblick.bin'), BIG);
  dav = await startWebdav(dir, { user: 'dav-user', pass: 'dav-pass' });
  const config = join(dir, '..', `skiff-dav-${process.pid}.toml`);
  writeFileSync(config, `[sources.webdav]\nurl = "${dav.url}"\nusername = "dav-user"\npassword = "dav-pass"\n`);
  [server, site, browser] = await Promise.all([
    startServer({ name: 'cloud', extraArgs: ['--config', config] }),
    startStaticServer(),
    launchBrowser(),
  ]);
  rmSync(config);
  tab = await openPage(browser, `${site.url}/`, () => [server.url]);
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  await site?.stop();
  await server?.stop();
  await dav?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn(client)` in the page with a filestack-js client pointed at the server. */
function inPage(fn, arg) {
  return tab.page.evaluate(async ({ base, key, src, arg }) => {
    const client = window.skiffClient(base, key);
    // filestack-js's CloudClient copies cloudApiUrl when the client is made, before the page
    // points the session's URLs at the server.
    client.cloud.cloudApiUrl = base;
    try {
      return { ok: true, value: await (0, eval)(src)(client, arg) };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e) };
    }
  }, { base: server.url, key: server.apikey, src: fn.toString(), arg });
}

const withLogs = (r) => `${JSON.stringify(r)}\n--- server ---\n${server.log()}\n--- rclone ---\n${dav.log()}`;

test('client.cloud.list browses the WebDAV tree: folders first, paths, sizes, accept', { timeout: 30_000 }, async () => {
  const root = await inPage((c) => c.cloud.list({ webdav: { path: '/' } }));
  assert.ok(root.ok, withLogs(root));
  const list = root.value.webdav;
  assert.deepEqual(list.contents.map((i) => [i.name, i.path, i.folder, i.size]), [
    ['docs', '/docs/', true, '0'],
    ['photo.jpg', '/photo.jpg', false, '17'],
    ['readme.txt', '/readme.txt', false, '18'],
  ]);
  assert.ok(list.contents.every((i) => i.thumbnail.startsWith(server.url)), 'every item has a thumbnail URL');
  const docs = await inPage((c) => c.cloud.list({ webdav: { path: '/docs/' } }, undefined, ['image/*', 'text/csv']));
  assert.ok(docs.ok, withLogs(docs));
  assert.deepEqual(docs.value.webdav.contents.map((i) => i.name), ['deep', 'report q3.csv'], 'accept keeps folders and matching files');
});

test('client.cloud.store imports a file with upload tags; the stored bytes are the source\'s', { timeout: 60_000 }, async () => {
  const r = await inPage((c, tags) => c.cloud.store('webdav', '/docs/Überblick.bin', { location: 's3', path: 'imports/' }, undefined, undefined, tags), { crm: '42' });
  assert.ok(r.ok, withLogs(r));
  const file = r.value;
  assert.equal(file.filename, 'Überblick.bin');
  assert.equal(file.size, BIG.length);
  assert.equal(file.client, 'WebDAV');
  assert.deepEqual(file.upload_tags, { crm: '42' });
  const res = await fetch(`${server.url}/${file.handle}`);
  const got = Buffer.from(await res.arrayBuffer());
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  assert.equal(sha(got), sha(BIG), 'the stored bytes are the WebDAV file');
});

test('a source the server does not offer is refused by name; client.logout works', { timeout: 30_000 }, async () => {
  const r = await inPage((c) => c.cloud.list({ dropbox: { path: '/' } }));
  assert.equal(r.ok, false);
  assert.match(r.error, /unknown_source/);
  assert.match(r.error, /`dropbox` is not offered by this server to this app \(offered: webdav\)/);
  const out = await inPage((c) => c.logout('webdav'));
  assert.ok(out.ok, withLogs(out));
  assert.deepEqual(out.value, {});
});
