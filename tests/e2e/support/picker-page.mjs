// Helpers for the picker's end-to-end tests (tests/e2e/picker-*.test.mjs), on the Skiff test page
// (skiff-site.mjs: window.skiff = dist/index.js, window.skiffRandomFile from page-files.js).
//
//   installHarness(page)        defines window.pk in the page: pk.make(id, {...}) builds a picker
//                               whose every callback is recorded, in order, into pk.ev
//   openPicker(page, id, cfg)   pk.make + open(); resolves when open() resolved
//   events(page, id?)           the recorded callbacks [{p, name, args}] (args summarized, JSON)
//   waitFor(page, fn, arg, ms, what)  page.waitForFunction with a readable timeout message
//   rows(page, scope)           the file rows under `scope`: [{name, state, note}]
//   makeFiles(page, specs)      Files made in the page (random bytes or text), by id, with SHA-256
//   dropFiles / pasteFiles      synthetic drag-and-drop / paste of page-made Files
//   listenerCounts(page)        event listeners on document and window (CDP DOMDebugger)
//   png(w, h, rgb)              a valid PNG (for thumbnails in screenshots)
//   staticFiles(routes)         a loopback HTTP server for URL imports (404 for anything else)

import { createServer } from 'node:http';
import { deflateSync } from 'node:zlib';

/** The in-page harness (serialized into the page). */
function harness() {
  const CALLBACKS = [
    'onOpen', 'onClose', 'onCancel', 'onFileSelected', 'onUploadStarted', 'onFileUploadStarted',
    'onFileUploadProgress', 'onFileUploadFinished', 'onFileUploadFailed', 'onFileUploadCancel', 'onUploadDone',
  ];
  const PANE = ['onDragEnter', 'onDragLeave', 'onDragOver', 'onDrop', 'onSuccess', 'onError', 'onProgress', 'onClick'];
  const pk = { ev: [], tokens: {}, pickers: {}, clients: {} };

  const fileFields = ['filename', 'mimetype', 'size', 'source', 'uploadId', 'originalPath', 'status', 'handle', 'url',
    'key', 'container', 'uploadTags'];
  function summarize(x, id) {
    if (x === undefined || x === null || typeof x !== 'object') return x ?? null;
    if (x === pk.pickers[id]) return '<this picker>';
    if (x instanceof Error) return { error: x.message };
    if (typeof Event !== 'undefined' && x instanceof Event) return `<${x.constructor.name} ${x.type}>`;
    if (Array.isArray(x)) return x.map((v) => summarize(v, id));
    if ('filesUploaded' in x || 'filesFailed' in x) {
      return { filesUploaded: summarize(x.filesUploaded, id), filesFailed: summarize(x.filesFailed, id) };
    }
    if ('filename' in x && 'uploadId' in x) {
      const out = {};
      for (const k of fileFields) if (k in x) out[k] = x[k];
      out.originalFile = x.originalFile instanceof File ? '<File>' : x.originalFile;
      return out;
    }
    if (typeof x.pause === 'function' || typeof x.cancel === 'function') {
      return { token: { pause: typeof x.pause, resume: typeof x.resume, cancel: typeof x.cancel } };
    }
    try { return JSON.parse(JSON.stringify(x)); } catch { return String(x); }
  }
  pk.summarize = summarize;

  function recorder(id, name, own) {
    return function (...args) {
      pk.ev.push({ p: id, name, t: Math.round(performance.now()), args: args.map((a) => summarize(a, id)) });
      if (name === 'onFileUploadStarted' && args[1]) pk.tokens[`${id}:${args[0]?.filename}`] = args[1];
      if (own) return own.apply(this, args);
      return undefined;
    };
  }

  /** Sets obj[a][b][c] for the path 'a.b.c'. */
  function setPath(obj, path, value) {
    const keys = path.split('.');
    let o = obj;
    for (const k of keys.slice(0, -1)) {
      o[k] = o[k] && typeof o[k] === 'object' ? { ...o[k] } : {};
      o = o[k];
    }
    o[keys.at(-1)] = value;
  }

  /**
   * A picker whose callbacks are all recorded. `options` is plain data; `fns` maps option paths
   * ('acceptFn', 'uploadConfig.tags.name', 'dropPane.onSuccess') to function sources evaluated here.
   * `record: false` leaves out the recorders (no onFileSelected: files skip the checking state);
   * `unrecorded: ['onFileSelected']` leaves out some of them.
   */
  pk.make = function (id, { apikey, baseUrl, clientOptions = {}, options = {}, fns = {}, record = true, unrecorded = [], containerElement }) {
    const client = window.skiff.init(apikey, { baseUrl, ...clientOptions });
    pk.clients[id] = client;
    const opts = JSON.parse(JSON.stringify(options));
    const own = {};
    for (const [path, src] of Object.entries(fns)) {
      // eslint-disable-next-line no-eval
      const f = (0, eval)(`(${src})`);
      if (CALLBACKS.includes(path) || path.startsWith('dropPane.')) own[path] = f;
      else setPath(opts, path, f);
    }
    if (record) {
      for (const name of CALLBACKS) {
        if (unrecorded.includes(name)) { if (own[name]) opts[name] = own[name]; } else opts[name] = recorder(id, name, own[name]);
      }
      if (opts.displayMode === 'dropPane') {
        opts.dropPane = { ...(opts.dropPane ?? {}) };
        for (const name of PANE) opts.dropPane[name] = recorder(id, `dropPane.${name}`, own[`dropPane.${name}`]);
      }
    } else {
      for (const [path, f] of Object.entries(own)) setPath(opts, path, f);
    }
    if (containerElement) opts.container = document.querySelector(containerElement);
    const picker = client.picker(opts);
    pk.pickers[id] = picker;
    return picker;
  };

  /** Files made here: specs [{id, name, type, size} (random) | {id, name, type, text}]. */
  pk.makeFiles = async function (specs) {
    const out = [];
    for (const s of specs) {
      if (s.text !== undefined) {
        const bytes = new TextEncoder().encode(s.text);
        window.skiffFiles[s.id] = new File([bytes], s.name, { type: s.type ?? '' });
        out.push({ id: s.id, size: bytes.length, sha256: window.skiffHex(await crypto.subtle.digest('SHA-256', bytes)) });
      } else {
        const r = await window.skiffRandomFile(s.id, s.size, s.name, s.type ?? '');
        out.push({ id: s.id, ...r });
      }
    }
    return out;
  };

  pk.transfer = function (ids) {
    const dt = new DataTransfer();
    for (const id of ids) dt.items.add(window.skiffFiles[id]);
    return dt;
  };

  /** dragenter, dragover, drop on `target` (a selector or 'body'). Returns whether drop was cancelled. */
  pk.drop = function (target, ids) {
    const el = target === 'body' ? document.body : document.querySelector(target);
    if (!el) throw new Error(`no ${target} to drop on`);
    const dt = pk.transfer(ids);
    const fire = (type) => {
      const e = new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true, composed: true });
      el.dispatchEvent(e);
      return e.defaultPrevented;
    };
    fire('dragenter');
    fire('dragover');
    return fire('drop');
  };

  pk.paste = function (ids, target) {
    const e = new ClipboardEvent('paste', { clipboardData: pk.transfer(ids), bubbles: true, cancelable: true });
    (target ? document.querySelector(target) : document).dispatchEvent(e);
    return e.defaultPrevented;
  };

  pk.rows = function (scope) {
    return Array.from(document.querySelectorAll(`${scope} li.skiff-file`), (li) => ({
      name: li.querySelector('.skiff-file-name')?.textContent ?? null,
      state: li.dataset.state,
      note: li.querySelector('.skiff-file-note')?.textContent ?? null,
      buttons: Array.from(li.querySelectorAll('button'), (b) => b.className.split(/\s+/).filter((c) => /^skiff-(remove|pause|resume|cancel|retry)$/.test(c))[0]).filter(Boolean),
    }));
  };

  window.pk = pk;
}

export async function installHarness(page) {
  await page.addScriptTag({ content: `(${harness.toString()})();` });
}

/** pk.make(id, cfg) then open(). */
export async function openPicker(page, id, cfg) {
  await page.evaluate(async ({ id, cfg }) => {
    const picker = window.pk.make(id, cfg);
    await picker.open();
  }, { id, cfg });
}

export function events(page, id) {
  return page.evaluate((id) => window.pk.ev.filter((e) => id === undefined || e.p === id), id);
}

/** page.waitForFunction(fn, arg) with `what` in the timeout error. */
export async function waitFor(page, fn, arg, ms, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout: ms, polling: 50 });
  } catch (e) {
    throw new Error(`waited ${ms} ms for ${what}: ${e.message.split('\n')[0]}`);
  }
}

/** Waits until the callback `name` of picker `id` was recorded (`count` times); returns the events. */
export async function waitEvent(page, id, name, ms = 20_000, count = 1) {
  try {
    await page.waitForFunction(({ id, name, count }) => window.pk.ev.filter((e) => e.p === id && e.name === name).length >= count,
      { id, name, count }, { timeout: ms, polling: 50 });
  } catch (e) {
    const seen = await events(page, id).catch(() => []);
    throw new Error(`waited ${ms} ms for ${name}${count > 1 ? ` ×${count}` : ''} of picker ${id}; callbacks so far: ` +
      `${seen.map((x) => x.name).join(', ')}\n${e.message.split('\n')[0]}`);
  }
  return events(page, id);
}

export function rows(page, scope = '.skiff-picker') {
  return page.evaluate((s) => window.pk.rows(s), scope);
}

/** Waits until the rows under `scope` satisfy pred (a function source over `rows`). */
export async function waitRows(page, scope, predSrc, ms, what) {
  try {
    await page.waitForFunction(({ scope, predSrc }) => {
      // eslint-disable-next-line no-eval
      const pred = (0, eval)(`(${predSrc})`);
      return pred(window.pk.rows(scope));
    }, { scope, predSrc }, { timeout: ms, polling: 50 });
  } catch (e) {
    const now = await rows(page, scope).catch(() => '?');
    throw new Error(`waited ${ms} ms for ${what}; rows now: ${JSON.stringify(now)}\n${e.message.split('\n')[0]}`);
  }
  return rows(page, scope);
}

export function makeFiles(page, specs) {
  return page.evaluate((s) => window.pk.makeFiles(s), specs);
}

export function dropFiles(page, target, ids) {
  return page.evaluate(({ target, ids }) => window.pk.drop(target, ids), { target, ids });
}

export function pasteFiles(page, ids, target) {
  return page.evaluate(({ ids, target }) => window.pk.paste(ids, target), { ids, target });
}

/** Numbers of event listeners on document and window, by type (CDP DOMDebugger.getEventListeners). */
export async function listenerCounts(page, extraExpressions = {}) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const out = {};
    const exprs = { document: 'document', window: 'window', ...extraExpressions };
    for (const [name, expression] of Object.entries(exprs)) {
      const { result } = await cdp.send('Runtime.evaluate', { expression });
      if (!result.objectId) { out[name] = null; continue; }
      const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId, depth: 0 });
      const byType = {};
      for (const l of listeners) byType[l.type] = (byType[l.type] ?? 0) + 1;
      out[name] = { total: listeners.length, byType };
      await cdp.send('Runtime.releaseObject', { objectId: result.objectId });
    }
    return out;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// A PNG (RGB, 8 bit, no interlace), so thumbnails in screenshots show something real.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A w×h PNG: a diagonal gradient from `rgb` to white. */
export function png(w, h, rgb = [40, 90, 200]) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < w; x++) {
      const f = (x + y) / (w + h);
      for (let i = 0; i < 3; i++) raw[row + 1 + x * 3 + i] = Math.round(rgb[i] + (255 - rgb[i]) * f);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A loopback HTTP server for URL imports: `routes` maps paths to { body: Buffer, type }; anything
 * else is 404. Returns { url, requests: ['GET /path'], stop() }.
 */
export async function staticFiles(routes) {
  const requests = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    requests.push(`${req.method} ${path}`);
    const r = routes[path];
    if (!r) { res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file'); return; }
    res.writeHead(200, { 'content-type': r.type ?? 'application/octet-stream', 'content-length': r.body.length });
    res.end(req.method === 'HEAD' ? undefined : r.body);
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((ok) => { server.closeAllConnections?.(); server.close(() => ok()); }),
  };
}
