// The code in the big-folder benchmark's page (served as /bench/cloud/folder-page.js next to the
// Uppy bundle, with the frame helpers it shares with the picker-open page from
// /bench/browser/page-frames.js; a browser module, not for node). It loads Skiff from /dist/index.js
// and waits for the picker's wasm, and defines window.folderBench:
//
//   ready                   a promise of { skiff: { available, reason, version }, uppy: { available, reason } }
//   frameInterval()         median ms between animation frames
//   open(id, cfg)           opens the contender's picker (Skiff: overlay with the `webdav` source; Uppy:
//                           the Dashboard modal with @uppy/webdav), untimed
//   armFirstRows(id, prefix)  starts watching for the first row of the folder about to open (rows whose
//                           text holds `prefix`); firstRows() then resolves with the timing
//   quiet(ms)               resolves once the document has had no DOM change for `ms`
//   toGrid(id)              the browser's grid layout; { ok, ms } (call to painted)
//   scrollAll(id, cfg)      scrolls the folder top to bottom, one step per frame; { ok, ... long tasks }
//   longTasksBetween(a, b)  the long tasks that started in [a, b): count, longest, total blocking
//                           time, and each one's duration and start (ms after a)
//
// How "first rows painted" is timed (armFirstRows/firstRows). t0 is the `timeStamp` of the click on
// the folder, taken by a capture listener on the window, so it is the moment the input event was
// made, before any of the picker's own handlers ran (and it includes any wait for a busy main thread).
// A MutationObserver over the whole document looks, in each batch of added nodes, for a row (the
// contender's row selector) whose text holds the folder's file-name prefix: that is the first row of
// the new folder in the DOM (tDom). Being in the DOM is not being on screen, so from that callback
// the page waits two animation frames: the first rAF callback runs in the frame that will draw the
// row (before its style, layout and paint), and the second can only run once that frame has been
// produced, so it is the earliest point script can know the row was painted: t1. A busy main
// thread (styling and laying out thousands of rows) delays both frames, so that cost is counted; the
// price is up to one frame of over-estimate. Element Timing would give the paint time itself, but
// it reports only elements that carry an `elementtiming` attribute when they are first painted,
// which neither picker sets and which would have to be added from this same observer; the double
// rAF needs nothing from the pickers' markup.
//
// Long tasks: a PerformanceObserver for `longtask` with `buffered: true` is started as this module
// runs; every entry (start, duration) is kept and the benchmark reads the ones in a window. Total
// blocking time = the sum over those tasks of (duration − 50 ms).

import { describe, frameInterval, nextPaint, sleep } from '../browser/page-frames.js';

const TIMEOUT_MS = 60_000;
const nextFrame = () => new Promise((r) => requestAnimationFrame(r));

const longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch (e) {
  console.error('no longtask observer:', e);
}

const CONTENDERS = {
  skiff: {
    row: '.skiff-item',
    grid: '[data-layout=grid]',
    async open({ apikey, serverUrl }) {
      const client = this.mod.init(apikey, { baseUrl: serverUrl });
      this.picker = client.picker({ displayMode: 'overlay', fromSources: ['webdav'] });
      await this.picker.open();
    },
    // The picker's own "Grid view" button, as a person would press it.
    toGrid() { document.querySelector('.skiff-grid-view').click(); },
  },
  uppy: {
    row: '.uppy-ProviderBrowserItem',
    grid: '.uppy-ProviderBrowser-viewType--grid',
    open({ companionUrl }) { return window.uppyFolder.open(companionUrl); },
    toGrid() { window.uppyFolder.grid(); },
  },
};

/** The row under (or at) `node` whose text holds `prefix`, or null. */
function rowIn(node, sel, prefix) {
  if (node.nodeType !== 1) return null;
  if (node.matches(sel) && node.textContent.includes(prefix)) return node;
  for (const r of node.querySelectorAll(sel)) if (r.textContent.includes(prefix)) return r;
  return null;
}

let armed = null;

function armFirstRows(id, prefix) {
  const c = CONTENDERS[id];
  let t0 = NaN;
  let tDom = NaN;
  const onClick = (e) => { if (Number.isNaN(t0)) t0 = e.timeStamp; };
  window.addEventListener('click', onClick, { capture: true });
  armed = new Promise((resolve) => {
    const timer = setTimeout(() => { mo.disconnect(); resolve({ ok: false, error: `no row of the folder within ${TIMEOUT_MS} ms` }); }, TIMEOUT_MS);
    const mo = new MutationObserver((records) => {
      let row = null;
      for (const rec of records) {
        for (const n of rec.addedNodes) if ((row = rowIn(n, c.row, prefix))) break;
        if (row) break;
      }
      if (!row) return;
      tDom = performance.now();
      mo.disconnect();
      clearTimeout(timer);
      nextFrame().then(nextFrame).then(() => {
        const t1 = performance.now();
        window.removeEventListener('click', onClick, { capture: true });
        if (Number.isNaN(t0)) { resolve({ ok: false, error: 'the folder opened without a click' }); return; }
        resolve({
          ok: true, t0, t1, ms: t1 - t0, domMs: tDom - t0,
          rowsAtPaint: document.querySelectorAll(c.row).length,
          listMs: listRequestMs(id, t0),
        });
      });
    });
    mo.observe(document, { subtree: true, childList: true });
  });
  return true;
}

/** ms from t0 to the end of the folder listing the picker fetched (Resource Timing), or null. */
function listRequestMs(id, t0) {
  const want = id === 'skiff' ? /\/folder\/list/ : /\/webdav\/list\//;
  const e = performance.getEntriesByType('resource').filter((x) => want.test(x.name) && x.startTime >= t0).at(-1);
  return e ? e.responseEnd - t0 : null;
}

const firstRows = () => armed;

/** Resolves once nothing in the document has changed for `ms` (or after `max` ms). */
function quiet(ms = 300, max = TIMEOUT_MS) {
  return new Promise((resolve) => {
    const start = performance.now();
    let timer;
    const mo = new MutationObserver(() => arm());
    const done = (ok) => { mo.disconnect(); clearTimeout(timer); resolve(ok); };
    const arm = () => {
      clearTimeout(timer);
      if (performance.now() - start > max) { done(false); return; }
      timer = setTimeout(() => done(true), ms);
    };
    mo.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    arm();
  });
}

async function open(id, cfg) {
  try {
    await CONTENDERS[id].open(cfg);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
}

async function toGrid(id) {
  const c = CONTENDERS[id];
  await nextPaint();
  const t0 = performance.now();
  try {
    c.toGrid();
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
  for (;;) {
    if (document.querySelector(c.grid)) break;
    if (performance.now() - t0 > TIMEOUT_MS) return { ok: false, error: 'the grid layout did not appear' };
    await nextFrame();
  }
  await nextFrame();
  await nextFrame();
  return { ok: true, ms: performance.now() - t0 };
}

/** The nearest ancestor of `el` that scrolls vertically (its content taller than its box). */
function scrollerOf(el) {
  for (let n = el.parentElement; n; n = n.parentElement) {
    const oy = getComputedStyle(n).overflowY;
    if ((oy === 'auto' || oy === 'scroll') && n.scrollHeight > n.clientHeight + 1) return n;
  }
  return null;
}

function longTasksBetween(a, b) {
  const ts = longTasks.filter((t) => t.start >= a && t.start < b);
  return {
    count: ts.length,
    longest: ts.reduce((m, t) => Math.max(m, t.duration), 0),
    tbt: ts.reduce((s, t) => s + Math.max(0, t.duration - 50), 0),
    tasks: ts.map((t) => ({ at: Math.round(t.start - a), duration: Math.round(t.duration) })),
  };
}

/**
 * Scrolls the folder from its top to its end in GRID view: the scroll container (the first row's
 * nearest scrolling ancestor) moves `step` px, then the page waits for the next frame to be painted
 * (rAF, then a task), and so on. At the end it waits up to `moreMs` for the content to grow (a picker
 * that loads more when scrolled near the end) and goes on if it did. Returns the long tasks that
 * started while scrolling, the steps and frame times, and whether the last item (`lastName`) was
 * reached.
 */
async function scrollAll(id, { step, moreMs, lastName, maxMs }) {
  const c = CONTENDERS[id];
  const first = document.querySelector(c.row);
  if (!first) return { ok: false, error: 'no row to scroll' };
  const sc = scrollerOf(first);
  if (!sc) return { ok: false, error: 'no scrolling container around the rows' };
  sc.scrollTop = 0;
  await nextPaint();
  await nextPaint();
  await sleep(200);
  const t0 = performance.now();
  let steps = 0;
  let worstFrame = 0;
  let last = t0;
  let grew = 0;
  for (;;) {
    const end = sc.scrollHeight - sc.clientHeight;
    if (sc.scrollTop >= end - 1) {
      const height = sc.scrollHeight;
      const rows = sc.querySelectorAll(c.row).length;
      const until = performance.now() + moreMs;
      let more = false;
      while (performance.now() < until) {
        await nextPaint();
        if (sc.scrollHeight > height || sc.querySelectorAll(c.row).length !== rows) { more = true; break; }
      }
      if (!more) break;
      grew++;
      continue;
    }
    sc.scrollTop = Math.min(sc.scrollTop + step, end);
    steps++;
    await nextPaint();
    const now = performance.now();
    worstFrame = Math.max(worstFrame, now - last);
    last = now;
    if (now - t0 > maxMs) return { ok: false, error: `still scrolling after ${maxMs} ms (${steps} steps, at ${sc.scrollTop} of ${end} px)` };
  }
  const t1 = last;
  // Long-task entries are delivered after their task ends: give them a moment.
  await nextPaint();
  await sleep(100);
  const reached = Array.from(sc.querySelectorAll(c.row)).some((r) => r.textContent.includes(lastName));
  return {
    ok: true,
    ...longTasksBetween(t0, t1),
    ms: t1 - t0,
    steps,
    meanFrame: steps ? (t1 - t0) / steps : NaN,
    worstFrame,
    height: sc.scrollHeight,
    rowsInDom: sc.querySelectorAll(c.row).length,
    grew,
    reached,
  };
}

async function setupSkiff() {
  let mod;
  try {
    mod = await import('/dist/index.js');
    await mod.loadPicker();
  } catch (e) {
    return { available: false, reason: `loading dist/index.js and its picker failed: ${describe(e)}` };
  }
  CONTENDERS.skiff.mod = mod;
  let version = null;
  try { version = await mod.version(); } catch { /* optional */ }
  return { available: true, reason: null, version };
}

function setupUppy() {
  if (!window.uppyFolder?.ready) return { available: false, reason: 'the Uppy bundle did not load' };
  return { available: true, reason: null };
}

window.folderBench = {
  ready: setupSkiff().then((skiff) => ({ skiff, uppy: setupUppy() })),
  frameInterval,
  open,
  armFirstRows,
  firstRows,
  quiet,
  toGrid,
  scrollAll,
  longTasksBetween,
};
