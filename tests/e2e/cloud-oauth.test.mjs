// End-to-end: signing in to an OAuth provider from a page in Chromium, against the Dropbox
// stand-in, the way the picker will: the page lists the source, gets `auth.redirect_url`, opens
// it in a popup on a click; the popup goes through the server's /start, the provider's consent
// and the server's callback, whose static page tells the opener how it went. The message
// reaches a page on the app's allowed origin, and never one on another origin (its sign-in still
// completes, and the status endpoint says so). Then the page lists and imports with its token.
//
// Run: node --test tests/e2e/cloud-oauth.test.mjs
// Needs /usr/bin/chromium and the server and stand-in binaries (built when missing).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from './support/browser.mjs';
import { startServer } from './support/server.mjs';
import { startStandin } from './support/standin.mjs';
import { startStaticServer } from './support/static.mjs';

const KEY = 'oauth-app';
let dir;
let standin;
let server;
let allowed;
let other;
let browser;

before(async () => {
  [standin, allowed, other, browser] = await Promise.all([
    startStandin('dropbox'),
    startStaticServer(),
    startStaticServer(),
    launchBrowser(),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'skiff-oauth-'));
  const config = join(dir, 'skiff.toml');
  writeFileSync(config, [
    '[[apps]]',
    `key = "${KEY}"`,
    `allowed_origins = ["${allowed.url}"]`,
    standin.sourceToml(),
    '',
  ].join('\n'));
  server = await startServer({ name: 'oauth', extraArgs: ['--config', config] });
  await standin.registerRedirect(`${server.url}/cloud/auth/dropbox/callback`);
}, { timeout: 60_000 });

after(async () => {
  await browser?.close();
  await allowed?.stop();
  await other?.stop();
  await server?.stop();
  await standin?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const logs = () => `--- server ---\n${server.log()}\n--- stand-in ---\n${standin.log()}`;

/** Opens `site`, lists Dropbox, and clicks a button that opens the sign-in popup. */
async function signIn(site) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const popupConsole = [];
  await page.goto(`${site.url}/`);
  const offer = await page.evaluate(async ({ base, key }) => {
    window.messages = [];
    window.addEventListener('message', (e) => window.messages.push({ origin: e.origin, data: e.data }));
    const r = await fetch(`${base}/folder/list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: key, flow: 'web', clouds: { dropbox: { path: '/' } } }),
    });
    const body = await r.json();
    // The redirect_url is known before the click, so the popup opens inside the gesture.
    const b = document.createElement('button');
    b.id = 'connect';
    b.textContent = 'Connect to Dropbox';
    b.onclick = () => { window.popup = window.open(body.dropbox.auth.redirect_url, 'skiff-auth', 'width=480,height=640'); };
    document.body.append(b);
    return body;
  }, { base: server.url, key: KEY });
  assert.ok(offer.dropbox?.auth?.redirect_url, JSON.stringify(offer));
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect')]);
  popup.on('console', (m) => popupConsole.push(m.text()));
  // The popup ends on the server's callback page (it may close itself right after).
  await popup.waitForURL(/\/cloud\/auth\/dropbox\/callback/, { timeout: 15_000 }).catch((e) => {
    popupConsole.push(`[not at the callback: ${popup.url()}] ${e.message}`);
  });
  return { context, page, popup, popupConsole, token: offer.token, flow: offer.dropbox.auth.flow };
}

async function status(token, flow) {
  const r = await fetch(`${server.url}/cloud/auth/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apikey: KEY, token, flow }),
  });
  return r.json();
}

test('the popup tells the page on the allowed origin, and the page then lists and imports', { timeout: 60_000 }, async () => {
  const s = await signIn(allowed);
  try {
    await s.page.waitForFunction(() => window.messages.length > 0, null, { timeout: 15_000 })
      .catch((e) => { throw new Error(`${e.message}\n${s.popupConsole.join('\n')}\n${logs()}`); });
    const messages = await s.page.evaluate(() => window.messages);
    assert.deepEqual(messages, [{
      origin: server.url,
      data: { type: 'skiff-auth', flow: s.flow, provider: 'dropbox', status: 'done' },
    }], logs());
    assert.ok(!s.popupConsole.some((l) => /Refused|Content Security Policy/.test(l)), s.popupConsole.join('\n'));
    const st = await status(s.token, s.flow);
    assert.equal(st.status, 'done', JSON.stringify(st));
    assert.equal(st.account, 'ana@dropbox.example');

    const listed = await s.page.evaluate(async ({ base, key, token }) => {
      const call = (path, body) => fetch(`${base}${path}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apikey: key, ...body }),
      }).then((r) => r.json());
      const list = await call('/folder/list', { token, clouds: { dropbox: { path: '/Fotos/' } } });
      const t = list.token ?? token;
      const stored = await call('/store/', { token: t, upload_tags: { from: 'e2e' }, clouds: { dropbox: { path: '/Fotos/Überblick.txt', store: { location: 's3' } } } });
      return { list, stored };
    }, { base: server.url, key: KEY, token: s.token });
    assert.ok(listed.list.token, 'a new token after connecting');
    assert.deepEqual(listed.list.dropbox.contents.map((i) => i.name), ['empty.bin', 'Überblick.txt'], logs());
    assert.equal(listed.stored.dropbox.filename, 'Überblick.txt', JSON.stringify(listed.stored));
    assert.deepEqual(listed.stored.dropbox.upload_tags, { from: 'e2e' });
    const bytes = await fetch(listed.stored.dropbox.url).then((r) => r.text());
    assert.equal(bytes, 'grüße\n');
  } finally {
    await s.context.close();
  }
});

test('a page on another origin gets no message, though its sign-in completes', { timeout: 60_000 }, async () => {
  const s = await signIn(other);
  try {
    let st;
    for (let i = 0; i < 50; i++) {
      st = await status(s.token, s.flow);
      if (st.status === 'done') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(st.status, 'done', `${JSON.stringify(st)}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await s.page.evaluate(() => window.messages), []);
  } finally {
    await s.context.close();
  }
});

test('a refused consent reaches the page as denied', { timeout: 60_000 }, async () => {
  await standin.denyNext();
  const s = await signIn(allowed);
  try {
    await s.page.waitForFunction(() => window.messages.length > 0, null, { timeout: 15_000 });
    const [m] = await s.page.evaluate(() => window.messages);
    assert.equal(m.data.status, 'denied');
    assert.equal((await status(s.token, s.flow)).status, 'denied');
  } finally {
    await s.context.close();
  }
});
