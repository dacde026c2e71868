// The code in the picker-open benchmark's page (served as /picker-page.js by picker-site.mjs, with
// /page-frames.js, the frame helpers it shares with the big-folder page; a browser module, not for
// node). The page has already loaded the Uppy bundle (/uppy/uppy.js, which defines
// window.openUppy/closeUppy, and /uppy/uppy.css); this module loads Skiff from /dist/index.js, waits
// for its wasm (`loadPicker()`: the picker's build), and defines window.pickerBench:
//
//   ready                     a promise of { skiff: { available, reason, version }, uppy: { available, reason } }
//   frameInterval()           median ms between animation frames (the display rate rAF runs at)
//   measureOpen(id)           one timed open of 'skiff' or 'uppy'; { ok, ms, visibleMs, resolvedMs, seenBy, focusInside } | { ok: false, error }
//   close(id)                 closes it and waits until the dialog is gone and a frame is painted
//
// The timing (measureOpen): t0 = performance.now(); call open (Skiff: `picker.open()` of
// `init(apikey, {baseUrl}).picker({displayMode: 'overlay'})`; Uppy: `dashboard.openModal()`; the
// first call also creates the picker / Uppy + Dashboard); wait until the open call's promise has
// resolved and the dialog is in the DOM and visible (checked on every DOM mutation, when the promise
// settles, and on every animation frame); then wait for the next animation frame and a macrotask
// after it (the frame with the dialog has been styled, laid out and painted): t1. ms = t1 − t0.
// Before t0 the page waits for a painted frame and then a random 0–1 frame delay, so the open starts
// at a random point of the frame like a user's click does (starting right after a frame would add
// almost a whole frame of waiting to every open).

import { describe, frameInterval, nextPaint, sleep } from './page-frames.js';

const APIKEY = 'benchkey';
const TIMEOUT_MS = 10000;

/** Connected, not display:none / visibility:hidden / content-visibility-hidden (itself or an ancestor); `sized` also needs a non-empty box. */
function visible(el, sized) {
  if (!el || !el.isConnected) return false;
  if (typeof el.checkVisibility === 'function') {
    if (!el.checkVisibility({ visibilityProperty: true })) return false;
  } else if (getComputedStyle(el).visibility === 'hidden' || el.getClientRects().length === 0) {
    return false;
  }
  if (!sized) return true;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}

const CONTENDERS = {
  skiff: {
    selectors: ['.skiff-picker [role=dialog]'],
    picker: null,
    client: null,
    open() {
      if (!this.picker) this.picker = this.client.picker({ displayMode: 'overlay' });
      return this.picker.open();
    },
    close() { return this.picker?.close(); },
  },
  uppy: {
    selectors: ['.uppy-Dashboard--modal', '.uppy-Dashboard-inner'],
    open() { return window.openUppy(); },
    close() { return window.closeUppy(); },
  },
};

/** The contender's dialog element (its last selector), or null. */
function dialogOf(c) {
  return document.querySelector(c.selectors[c.selectors.length - 1]);
}

/** Every selector matches a visible element; the dialog itself (the last one) has a non-empty box. */
function isOpen(c) {
  return c.selectors.every((s, i) => visible(document.querySelector(s), i === c.selectors.length - 1));
}

/**
 * Resolves with { t: performance.now(), by } once cond() holds; it is checked now ('sync'), on each
 * DOM mutation ('mutation'), when poke() is called ('resolve') and, as a fallback for changes no
 * mutation shows (a stylesheet, a transition), at each animation frame ('frame').
 */
function waitUntil(cond, timeoutMs = TIMEOUT_MS) {
  let poke = () => {};
  const promise = new Promise((resolve, reject) => {
    let raf = 0;
    let timer = 0;
    const mo = new MutationObserver(() => check('mutation'));
    const finish = (f) => { mo.disconnect(); cancelAnimationFrame(raf); clearTimeout(timer); f(); };
    const check = (by) => {
      if (cond()) { const t = performance.now(); finish(() => resolve({ t, by })); return true; }
      return false;
    };
    if (check('sync')) return;
    mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    const tick = () => { if (!check('frame')) raf = requestAnimationFrame(tick); };
    raf = requestAnimationFrame(tick);
    timer = setTimeout(() => finish(() => reject(new Error(`not reached within ${timeoutMs} ms`))), timeoutMs);
    poke = () => { check('resolve'); };
  });
  return { promise, poke: () => poke() };
}

function withTimeout(p, what, ms = TIMEOUT_MS) {
  let timer;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]);
}

async function setupSkiff() {
  let mod;
  try {
    mod = await import('/dist/index.js');
  } catch (e) {
    return { available: false, reason: `importing dist/index.js failed: ${describe(e)}` };
  }
  if (typeof mod.init !== 'function') return { available: false, reason: 'dist/index.js exports no init()' };
  try {
    if (typeof mod.loadPicker === 'function') await mod.loadPicker();
    else if (typeof mod.loadWasm === 'function') await mod.loadWasm();
  } catch (e) {
    return { available: false, reason: `loadWasm() failed: ${describe(e)}` };
  }
  let version = null;
  try { version = typeof mod.version === 'function' ? await mod.version() : null; } catch { /* optional */ }
  let client;
  try {
    client = mod.init(APIKEY, { baseUrl: location.origin });
  } catch (e) {
    return { available: false, reason: `init() failed: ${describe(e)}`, version };
  }
  if (typeof client.picker !== 'function') {
    return { available: false, reason: 'init(…).picker is not a function (dist/ has no picker yet)', version };
  }
  CONTENDERS.skiff.client = client;
  return { available: true, reason: null, version };
}

function setupUppy() {
  if (typeof window.openUppy !== 'function' || typeof window.closeUppy !== 'function') {
    return { available: false, reason: 'the Uppy bundle did not load (window.openUppy missing)' };
  }
  return { available: true, reason: null };
}

async function measureOpen(id) {
  const c = CONTENDERS[id];
  if (isOpen(c)) return { ok: false, error: 'already open before the timed open' };
  await nextPaint();
  await sleep(Math.random() * 16.7);
  const t0 = performance.now();
  let tResolved = NaN;
  let tVisible = NaN;
  let seenBy = null;
  try {
    const opened = c.open();
    const seen = waitUntil(() => isOpen(c));
    const done = Promise.resolve(opened).then(() => { tResolved = performance.now(); seen.poke(); });
    await withTimeout(Promise.all([done, seen.promise.then(({ t, by }) => { tVisible = t; seenBy = by; })]), `${id} open`);
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
  await nextPaint();
  const t1 = performance.now();
  const dialog = dialogOf(c);
  return {
    ok: true,
    ms: t1 - t0,
    visibleMs: tVisible - t0,
    resolvedMs: tResolved - t0,
    seenBy,
    focusInside: !!(dialog && document.activeElement && dialog.contains(document.activeElement)),
  };
}

async function close(id) {
  const c = CONTENDERS[id];
  try {
    await withTimeout(c.close(), `${id} close`);
    await waitUntil(() => !isOpen(c)).promise;
    await nextPaint();
    return { ok: true };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

window.pickerBench = {
  ready: setupSkiff().then((skiff) => ({ skiff, uppy: setupUppy() })),
  frameInterval,
  measureOpen,
  close,
};
