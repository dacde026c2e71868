// Launches the system Chromium through playwright-core (flags as the toolchain notes give them)
// and opens the test page, recording the console, page errors, failed requests and every
// Filestack API exchange so the tests can assert on the wire traffic and print it on failure.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_BIN)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens pageUrl in a fresh context. Returns { page, console: string[], exchanges, clearExchanges() }.
 * `exchanges` lists requests to apiOrigins: { method, url, path, status, requestBody, responseBody,
 * responseHeaders }. Bodies are kept for JSON API calls only (part PUT bodies are bytes).
 */
export async function openPage(browser, pageUrl, apiOrigins, contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const consoleLines = [];
  const exchanges = [];
  page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack || e.message}`));
  page.on('requestfailed', (r) => consoleLines.push(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('response', async (res) => {
    const req = res.request();
    const u = new URL(req.url());
    if (!apiOrigins().includes(u.origin) || req.method() === 'OPTIONS') return;
    const ex = { method: req.method(), url: req.url(), origin: u.origin, path: u.pathname, status: res.status(), responseHeaders: res.headers() };
    exchanges.push(ex);
    if (req.method() === 'POST') {
      try { ex.requestBody = JSON.parse(req.postData() ?? 'null'); } catch { ex.requestBody = req.postData(); }
      try { ex.responseBody = await res.json(); } catch { ex.responseBody = undefined; }
    }
  });
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.skiffPageReady === true && typeof window.filestack?.init === 'function');
  return {
    page,
    context,
    console: consoleLines,
    exchanges,
    clearExchanges: () => exchanges.splice(0, exchanges.length),
  };
}

/**
 * Runs `fn` with `page`'s uplink limited to `bytesPerSecond` by Chromium's own network emulation,
 * which meters request bodies as the browser sends them (so upload progress follows the limit).
 * A throttling proxy on loopback cannot stand in for that: the kernel's socket buffers on both
 * sides take megabytes at once, far ahead of what the proxy forwards.
 */
export async function withUplink(page, bytesPerSecond, fn) {
  const cdp = await page.context().newCDPSession(page);
  const conditions = (up) => ({ offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: up });
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', conditions(bytesPerSecond));
  try {
    return await fn();
  } finally {
    await cdp.send('Network.emulateNetworkConditions', conditions(-1)).catch(() => {});
    await cdp.detach().catch(() => {});
  }
}
