// The raw DevTools-pipe browser driver (BENCH_DRIVER=cdp, the default; see driver.mjs for why):
// Chromium (same binary and flags as tests/e2e/support/browser.mjs) driven over
// --remote-debugging-pipe with the Target and Runtime domains only (plus HeapProfiler for a GC).
//
// launchCdpBrowser(profileDir) -> { version(), newPage(url), close() }; a page is
// { console, evaluate(fn, arg), addScript(source), collectGarbage(), close() }. newPage() waits until
// the page has set window.skiffPageReady and has a global `filestack` with init().

import { spawn } from 'node:child_process';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tests/e2e/support/browser.mjs';
import { sleep } from './util.mjs';

export async function launchCdpBrowser(profileDir) {
  const args = [...CHROMIUM_ARGS, '--remote-debugging-pipe', `--user-data-dir=${profileDir}`, 'about:blank'];
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.on('data', (b) => { stderr.push(String(b)); if (stderr.length > 200) stderr.shift(); });
  child.stdout.on('data', () => {});
  const killer = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.on('exit', killer);
  let exited = false;
  const exitP = new Promise((r) => child.on('exit', () => { exited = true; r(); }));
  const out = child.stdio[3];
  const inp = child.stdio[4];
  let nextId = 1;
  const pending = new Map();
  const listeners = new Set();
  let buf = '';
  inp.on('data', (chunk) => {
    buf += chunk.toString('utf8');
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      if (msg.id && pending.has(msg.id)) {
        const { ok, fail, method } = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) fail(new Error(`${method}: ${msg.error.message} ${msg.error.data ?? ''}`));
        else ok(msg.result);
      } else if (msg.method) {
        for (const l of listeners) l(msg);
      }
    }
  });
  child.on('exit', () => { for (const { fail } of pending.values()) fail(new Error(`Chromium exited\n${stderr.join('')}`)); pending.clear(); });
  const send = (method, params = {}, sessionId) => new Promise((ok, fail) => {
    if (exited) { fail(new Error('Chromium has exited')); return; }
    const id = nextId++;
    pending.set(id, { ok, fail, method });
    out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
  });
  const { product } = await send('Browser.getVersion');
  const version = product.replace(/^[^/]*\//, '');

  async function newPage(url) {
    const { browserContextId } = await send('Target.createBrowserContext', { disposeOnDetach: true });
    const { targetId } = await send('Target.createTarget', { url: 'about:blank', browserContextId });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const consoleLines = [];
    const onEvent = (msg) => {
      if (msg.sessionId !== sessionId) return;
      if (msg.method === 'Runtime.consoleAPICalled') {
        consoleLines.push(`[console.${msg.params.type}] ${msg.params.args.map((a) => a.value ?? a.description ?? a.type).join(' ')}`);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params.exceptionDetails;
        consoleLines.push(`[pageerror] ${d.exception?.description ?? d.text}`);
      }
    };
    listeners.add(onEvent);
    await send('Runtime.enable', {}, sessionId);
    await send('Page.navigate', { url }, sessionId);
    const evalExpr = async (expression) => {
      const r = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
      if (r.exceptionDetails) {
        const d = r.exceptionDetails;
        throw new Error(`in the page: ${d.exception?.description ?? d.text}`);
      }
      return r.result.value;
    };
    const deadline = Date.now() + 30000;
    for (;;) {
      const ready = await evalExpr("location.href !== 'about:blank' && window.skiffPageReady === true && typeof window.filestack?.init === 'function'").catch(() => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`page ${url} did not get ready\n${consoleLines.join('\n')}`);
      await sleep(50);
    }
    return {
      console: consoleLines,
      evaluate: (fn, arg) => evalExpr(`(${fn.toString()})(${arg === undefined ? '' : JSON.stringify(arg)})`),
      addScript: (source) => evalExpr(`${source}\n;undefined`),
      collectGarbage: () => send('HeapProfiler.collectGarbage', {}, sessionId),
      // Puts files from disk into the page's <input type=file id=...> (as a user picking them).
      setInputFiles: async (id, paths) => {
        const { result } = await send('Runtime.evaluate', { expression: `document.getElementById(${JSON.stringify(id)})` }, sessionId);
        if (!result.objectId) throw new Error(`no element #${id} in the page`);
        await send('DOM.setFileInputFiles', { files: paths, objectId: result.objectId }, sessionId);
      },
      close: async () => {
        listeners.delete(onEvent);
        await send('Target.closeTarget', { targetId }).catch(() => {});
        await send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
      },
    };
  }

  return {
    version: () => version,
    newPage,
    close: async () => {
      await send('Browser.close').catch(() => {});
      await Promise.race([exitP, sleep(5000)]);
      killer();
      process.off('exit', killer);
    },
  };
}
