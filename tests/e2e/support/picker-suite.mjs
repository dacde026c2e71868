// The setup shared by the picker's end-to-end tests (picker-modes, picker-upload and picker-a11y
// .test.mjs): the servers, the site and the browser, the per-test tab with its failure report,
// and the helpers more than one of those files uses.
//
//   pickerSuite({ remoteFiles })  registers the before / after hooks: skiff-server `server`
//                               (direct), skiff-server `proxied` behind the throttling proxy `gate`,
//                               the Skiff site and Chromium; with remoteFiles (staticFiles routes)
//                               also `remote`, a plain HTTP server to import by URL, and `server`
//                               started with --allow-private-urls so it may fetch from it
//   server, proxied, gate, remote, site, browser   live bindings, set by the before hook
//   e2e(name, deadlineMs, fn)   a test with its own tab (harness installed); a failure carries
//                               the callbacks, console, DOM, server and proxy logs (diag.mjs)
//   cfg(options, extra)         picker config against `server` (or `proxied` with via: 'gate')
//   addContainers, inputFile, text, assertStored, named, sleep, MiB, PNG

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startServer } from './server.mjs';
import { launchBrowser, openPage } from './browser.mjs';
import { ensureDist, startSkiffSite } from './skiff-site.mjs';
import { startProxy } from './proxy.mjs';
import { rethrowWith } from './diag.mjs';
import { installHarness, png, staticFiles } from './picker-page.mjs';

process.env.RUST_LOG ??= 'info,tower_http=debug';

export const MiB = 1024 * 1024;
export const PNG = png(64, 48);

export let server; // skiff-server, direct (--allow-private-urls with remoteFiles)
export let proxied; // skiff-server behind `gate` (--public-url gate.url)
export let gate; // throttling proxy
export let remote; // a plain HTTP server with files to import by URL (only with remoteFiles)
export let site;
export let browser;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clip = (s, n = 600) => (s && s.length > n ? `${s.slice(0, n)}...` : s);

/** Registers the suite's before / after hooks (see the header). */
export function pickerSuite({ remoteFiles } = {}) {
  before(async () => {
    ensureDist();
    gate = await startProxy({ name: 'gate' });
    [server, proxied, site, remote] = await Promise.all([
      startServer({ name: 'picker', allowPrivateUrls: !!remoteFiles }),
      startServer({ name: 'proxied', extraArgs: ['--public-url', gate.url] }),
      startSkiffSite(),
      remoteFiles ? staticFiles(remoteFiles) : undefined,
    ]);
    gate.setTarget(proxied.port);
    browser = await launchBrowser();
  }, { timeout: 120_000 });

  after(async () => {
    const steps = [() => browser?.close(), () => site?.stop(), () => remote?.stop(), () => gate?.stop(),
      () => server?.stop(), () => proxied?.stop()];
    for (const step of steps) {
      try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
    }
  });
}

/** A test with its own tab (harness installed); its failure carries the logs. */
export function e2e(name, deadlineMs, fn) {
  test(name, { timeout: deadlineMs + 20_000 }, async (t) => {
    if (!browser) throw new Error('setup failed (see the before hook)');
    const logFrom = [server.log().length, proxied.log().length];
    gate.clear();
    let tab;
    let timer;
    const t0 = Date.now();
    try {
      tab = await openPage(browser, `${site.url}/`, () => [server.url, gate.url]);
      await installHarness(tab.page);
      await Promise.race([
        fn(tab, t),
        new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`no result within ${deadlineMs} ms`)), deadlineMs); }),
      ]);
      t.diagnostic(`${Date.now() - t0} ms`);
    } catch (err) {
      const page = tab?.page;
      const dom = await page?.evaluate(() => Array.from(document.querySelectorAll('.skiff-picker'), (e) => e.outerHTML).join('\n') || '(no .skiff-picker)').catch(() => '?');
      const ev = await page?.evaluate(() => JSON.stringify(window.pk?.ev ?? [])).catch(() => '?');
      const diag = [
        '', `--- failed after ${Date.now() - t0} ms ---`,
        '--- picker callbacks ---', clip(ev, 6000),
        '--- browser console ---', ...(tab?.console ?? []).slice(-80),
        '--- .skiff-picker ---', clip(dom, 5000),
        '--- picker server log ---', clip(server.log().slice(logFrom[0]), 6000),
        '--- proxied server log ---', clip(proxied.log().slice(logFrom[1]), 4000),
        '--- gate proxy ---', clip(gate.log(), 3000),
      ].join('\n');
      rethrowWith(err, diag);
    } finally {
      clearTimeout(timer);
      gate.configure({ rate: null, lifetimeMs: null });
      await tab?.context.close().catch(() => {});
    }
  });
}

/** Picker config against the direct server (or the proxied one with `via: 'gate'`). */
export function cfg(options, extra = {}) {
  const via = extra.via === 'gate';
  const { via: _, ...rest } = extra;
  return { apikey: via ? proxied.apikey : server.apikey, baseUrl: via ? gate.url : server.url, options, ...rest };
}

/** Adds `<div id=...>` containers to the page. */
export function addContainers(page, ids, style = 'width:640px;height:560px;margin:8px;display:inline-block;vertical-align:top') {
  return page.evaluate(({ ids, style }) => {
    for (const id of ids) document.body.insertAdjacentHTML('beforeend', `<div id="${id}" style="${style}"></div>`);
  }, { ids, style });
}

export const inputFile = (name, mimeType, buffer) => ({ name, mimeType, buffer });
export const text = (name, s) => inputFile(name, 'text/plain', Buffer.from(s));

/** GET /{handle} from Node: the stored bytes. */
async function stored(base, handle) {
  const res = await fetch(`${base}/${handle}`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

export async function assertStored(base, handle, expected, what) {
  const r = await stored(base, handle);
  assert.equal(r.status, 200, `GET /${handle} (${what}): ${r.status} ${r.body.subarray(0, 200)}`);
  if (Buffer.isBuffer(expected)) {
    assert.equal(r.body.length, expected.length, `stored size of ${what}`);
    assert.equal(sha256(r.body), sha256(expected), `stored bytes of ${what}`);
  } else {
    assert.equal(r.body.length, expected.size, `stored size of ${what}`);
    assert.equal(sha256(r.body), expected.sha256, `stored bytes of ${what}`);
  }
}

export const named = (list, name) => list.find((r) => r.name === name);
