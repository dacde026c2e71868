// Code installed in the benchmark page as window.bench (site.mjs adds it with addScript). Runs in
// Chromium: loadSkiff, repeatedFile (the memory run's File), run (one timed upload by Skiff,
// filestack-js, one plain PUT or a peer of peers-entry.js), primitives (Blob read and MD5
// speeds), memStart/memStop (wasm memory and JS heap seen from inside the page) and settle (read
// a File once in full).

export const PAGE_LIB = String.raw`
'use strict';
window.bench = (() => {
  const MiB = 1024 * 1024;
  performance.setResourceTimingBufferSize(100000);

  async function loadSkiff(distUrl) {
    window.skiffModule = await import(distUrl + '/index.js');
    window.skiffDist = distUrl;
    await window.skiffModule.loadWasm();
    return await window.skiffModule.version();
  }

  /** A File of size bytes: one random block of blockSize repeated (a Blob of Blobs). */
  function repeatedFile(id, size, blockSize) {
    const block = new Uint8Array(blockSize);
    for (let off = 0; off < blockSize; off += 65536) crypto.getRandomValues(block.subarray(off, Math.min(blockSize, off + 65536)));
    const blockBlob = new Blob([block]);
    const parts = [];
    let left = size;
    while (left > 0) {
      const n = Math.min(blockSize, left);
      parts.push(n === blockSize ? blockBlob : blockBlob.slice(0, n));
      left -= n;
    }
    window.skiffFiles[id] = new File(parts, id + '.bin', { type: 'application/octet-stream' });
    return window.skiffFiles[id].size;
  }

  function plain(res) {
    const out = {};
    for (const k of ['handle', 'url', 'filename', 'size', 'mimetype', 'status', 'key']) if (res && res[k] !== undefined) out[k] = res[k];
    return out;
  }

  async function postJson(url, body) {
    for (;;) {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await r.text();
      if (r.status === 202) { await new Promise((ok) => setTimeout(ok, 1000)); continue; }
      if (!r.ok) throw new Error('POST ' + url + ' -> ' + r.status + ' ' + text);
      return JSON.parse(text);
    }
  }

  /**
   * /multipart/start for file: { loc (the upload host), common (the fields every later call
   * carries), complete(parts) (/multipart/complete with those parts) }.
   */
  async function startUpload(file, base, apikey) {
    const store = { location: 's3' };
    const mimetype = file.type || 'application/octet-stream';
    const start = await postJson(base + '/multipart/start', { apikey, filename: file.name, mimetype, size: file.size, store });
    const loc = /^https?:\/\//.test(start.location_url) ? start.location_url : new URL(base).protocol + '//' + start.location_url;
    const common = { apikey, uri: start.uri, region: start.region, upload_id: start.upload_id, store };
    const complete = (parts) => postJson(loc + '/multipart/complete', { ...common, filename: file.name, mimetype, size: file.size, parts });
    return { loc, common, complete };
  }

  /** A PUT through XMLHttpRequest (how Skiff and the tus clients send bytes), answered like fetch's. */
  function xhrPut(url, { method, headers, body }) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(method, url);
      for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
      x.onload = () => resolve({ ok: x.status >= 200 && x.status < 300, status: x.status,
        text: async () => x.responseText, headers: { get: (h) => x.getResponseHeader(h) } });
      x.onerror = () => reject(new Error('XHR PUT failed'));
      x.send(body);
    });
  }

  /** One part = the whole file; only the PUT (fetch, or XMLHttpRequest with xhr) is timed. */
  async function plainPut(file, base, apikey, xhr = false) {
    const { loc, common, complete } = await startUpload(file, base, apikey);
    const up = await postJson(loc + '/multipart/upload', { ...common, part: 1, size: file.size });
    const t0 = performance.now();
    const r = await (xhr ? xhrPut : fetch)(up.url, { method: 'PUT', headers: up.headers || {}, body: file });
    const t1 = performance.now();
    const text = await r.text();
    if (!r.ok) throw new Error('PUT ' + up.url + ' -> ' + r.status + ' ' + text);
    const etag = r.headers.get('etag');
    if (!etag) throw new Error('PUT answered without a readable ETag');
    const c0 = performance.now();
    const done = await complete([{ part_number: 1, etag }]);
    const c1 = performance.now();
    return { t0, t1, completeMs: c1 - c0, result: plain(done) };
  }

  /**
   * file in 6 MiB parts, slots at a time, without retries or progress (the diagnostic clients
   * below): send(slice, ask) sends one part and resolves to its ETag, where ask(fields) is its
   * /multipart/upload with those fields added.
   */
  async function inParts(file, base, apikey, slots, send) {
    const part = 6 * MiB;
    const { loc, common, complete } = await startUpload(file, base, apikey);
    const n = Math.ceil(file.size / part);
    const parts = new Array(n);
    let next = 0;
    const slot = async () => {
      for (let i = next++; i < n; i = next++) {
        const slice = file.slice(i * part, Math.min(file.size, (i + 1) * part));
        const ask = (fields) => postJson(loc + '/multipart/upload', { ...common, part: i + 1, size: slice.size, ...fields });
        parts[i] = { part_number: i + 1, etag: await send(slice, ask) };
      }
    };
    await Promise.all(Array.from({ length: slots }, slot));
    return plain(await complete(parts));
  }

  /** One part's PUT (put: fetch or xhrPut) to the URL an ask signed; resolves to its ETag. */
  async function putPart(put, up, body) {
    const r = await put(up.url, { method: 'PUT', headers: up.headers || {}, body });
    const text = await r.text();
    if (!r.ok) throw new Error('PUT ' + up.url + ' -> ' + r.status + ' ' + text);
    return r.headers.get('etag');
  }

  /**
   * The least a client that sends every part's MD5 must do (a diagnostic ceiling): 6 MiB parts,
   * 3 in flight; each part read with one arrayBuffer(), hashed by Skiff's exported md5_base64
   * (wasm), announced with /multipart/upload and PUT as a Blob slice.
   */
  const minimalMd5Client = (file, base, apikey) => inParts(file, base, apikey, 3, async (slice, ask) => {
    const md5 = await window.skiffModule.md5_base64(new Uint8Array(await slice.arrayBuffer()));
    return putPart(fetch, await ask({ md5 }), slice);
  });

  /**
   * What the parts cost without any MD5, and whether bytes read once could be sent as they are
   * (diagnostics): 6 MiB parts, four in flight as Skiff's on a fast link, each PUT through
   * XMLHttpRequest as a Blob slice, or (bytes) as the ArrayBuffer of the part read with
   * arrayBuffer(), as a client that sent the bytes it had read to hash would.
   */
  const partsPut = (file, base, apikey, bytes) => inParts(file, base, apikey, 4, async (slice, ask) => {
    const up = await ask({});
    return putPart(xhrPut, up, bytes ? await slice.arrayBuffer() : slice);
  });

  /**
   * What hashing every byte costs a client by itself (a diagnostic): the whole file in one PUT
   * through XMLHttpRequest, as the tus clients send it, while Skiff's own hashing worker reads and
   * hashes the same file in 6 MiB ranges, all handed over at once (four at a time in its SIMD
   * lanes, as Skiff's parts are). Timed from the PUT's start to the later of its answer and the
   * last digest; the worker is started and warmed before. Against the plain PUT it says what the
   * MD5 costs without the parts; against Skiff regular, what the parts add to it.
   */
  async function putWhileHashing(file, base, apikey) {
    const { loc, common, complete } = await startUpload(file, base, apikey);
    const up = await postJson(loc + '/multipart/upload', { ...common, part: 1, size: file.size });
    // dist/ is on another origin: a module worker's script must be the page's own.
    const url = new URL('./hash-worker.js', window.skiffDist + '/').href;
    const shim = new Blob(['import ' + JSON.stringify(url) + ';'], { type: 'text/javascript' });
    const worker = new Worker(URL.createObjectURL(shim), { type: 'module' });
    const pending = new Map();
    worker.onmessage = ({ data }) => { pending.get(data.id)(data); pending.delete(data.id); };
    let id = 0;
    const hash = (ranges) => {
      const digests = ranges.map((r) => new Promise((done) => pending.set(r.id, done))
        .then((d) => { if (d.error) throw new Error('hashing: ' + d.error); return d.md5; }));
      worker.postMessage(ranges);
      return Promise.all(digests);
    };
    const range = (start, end) => ({ id: ++id, blob: file, start, end });
    await hash([range(0, 1)]);
    const ranges = [];
    for (let at = 0; at < file.size; at += 6 * MiB) ranges.push(range(at, Math.min(file.size, at + 6 * MiB)));
    const t0 = performance.now();
    const hashed = hash(ranges);
    try {
      const r = await xhrPut(up.url, { method: 'PUT', headers: up.headers || {}, body: file });
      const text = await r.text();
      if (!r.ok) throw new Error('PUT ' + up.url + ' -> ' + r.status + ' ' + text);
      await hashed;
      const t1 = performance.now();
      return { t0, t1, result: plain(await complete([{ part_number: 1, etag: r.headers.get('etag') }])) };
    } finally {
      worker.terminate();
    }
  }

  function resources(base, t0, t1) {
    return performance.getEntriesByType('resource')
      .filter((e) => e.name.startsWith(base) && e.startTime >= t0 - 1 && e.startTime <= t1 + 1)
      .map((e) => ({ path: new URL(e.name).pathname, start: e.startTime - t0, end: e.responseEnd - t0 }));
  }

  /**
   * One timed upload of skiffFiles[fileId] by lib ('skiff', 'fs', 'put', 'put-xhr', 'put-hash', 'min', 'parts', 'parts-bytes'; the peers of
   * peers-entry.js: 'tusjs', 'uppy-tus', 'uppy-s3') with upload options opts, to the server at base
   * (for 'uppy-s3', the signing endpoint).
   */
  async function run(lib, opts, fileId, base, apikey) {
    const file = window.skiffFiles[fileId];
    performance.clearResourceTimings();
    window.skiffErrors.length = 0;
    // tus clients keep each upload's URL in localStorage and resume it when the same file comes
    // again: every run is a first upload of the file.
    for (const k of Object.keys(localStorage)) if (k.startsWith('tus::')) localStorage.removeItem(k);
    try {
      if (lib === 'put' || lib === 'put-xhr') {
        const r = await plainPut(file, base, apikey, lib === 'put-xhr');
        return { ok: true, ms: r.t1 - r.t0, completeMs: r.completeMs, result: r.result, resources: resources(base, r.t0, r.t1) };
      }
      if (lib === 'put-hash') {
        const r = await putWhileHashing(file, base, apikey);
        return { ok: true, ms: r.t1 - r.t0, result: r.result, resources: resources(base, r.t0, r.t1) };
      }
      let call;
      if (lib === 'skiff') {
        const client = window.skiffModule.init(apikey, { baseUrl: base });
        call = () => client.upload(file, { ...opts });
      } else if (lib === 'min') {
        call = () => minimalMd5Client(file, base, apikey);
      } else if (lib === 'parts' || lib === 'parts-bytes') {
        call = () => partsPut(file, base, apikey, lib === 'parts-bytes');
      } else if (lib === 'tusjs') {
        call = () => window.tusJsUpload(file, base + '/files');
      } else if (lib === 'uppy-tus') {
        call = async () => ({ url: await window.uppyTusUpload(file, base + '/files') });
      } else if (lib === 'uppy-s3') {
        call = () => window.uppyS3Upload(file, base);
      } else {
        const client = window.skiffClient(base, apikey);
        call = () => client.upload(file, { ...opts });
      }
      const t0 = performance.now();
      const res = await call();
      const t1 = performance.now();
      return { ok: true, ms: t1 - t0, result: plain(res), resources: resources(base, t0, t1), errors: window.skiffErrors.slice() };
    } catch (e) {
      return { ok: false, error: window.skiffDescribeError(e), errors: window.skiffErrors.slice(),
        resources: resources(base, 0, performance.now()).slice(-40) };
    }
  }

  /** Throughput of the client-side primitives on this machine (MiB/s, median of 3). */
  async function primitives(fileId) {
    const file = window.skiffFiles[fileId];
    const part = 6 * MiB;
    const n = 8; // 48 MiB per measurement
    const med = (xs) => xs.sort((a, b) => a - b)[1];
    const time = async (fn) => { const t0 = performance.now(); await fn(); return (n * part / MiB) / ((performance.now() - t0) / 1000); };
    const bufs = [];
    for (let i = 0; i < n; i++) bufs.push(new Uint8Array(await file.slice(i * part, (i + 1) * part).arrayBuffer()));
    const out = {};
    const read = [], readSmall = [], readStream = [], wasmMd5 = [], jsMd5 = [];
    for (let k = 0; k < 3; k++) {
      read.push(await time(async () => { for (let i = 0; i < n; i++) await file.slice(i * part, (i + 1) * part).arrayBuffer(); }));
      readSmall.push(await time(async () => { for (let off = 0; off < n * part; off += MiB) await file.slice(off, off + MiB).arrayBuffer(); }));
      readStream.push(await time(async () => {
        for (let i = 0; i < n; i++) {
          const r = file.slice(i * part, (i + 1) * part).stream().getReader();
          while (!(await r.read()).done) { /* drain */ }
        }
      }));
      wasmMd5.push(await time(async () => { for (const b of bufs) await window.skiffModule.md5_base64(b); }));
      if (typeof window.filestack.md5 === 'function') {
        jsMd5.push(await time(async () => { for (const b of bufs) window.filestack.md5(b.buffer); }));
      }
    }
    out.blobSliceRead = med(read);
    out.blobSliceReadSmall = med(readSmall);
    out.blobStreamRead = med(readStream);
    out.skiffWasmMd5 = med(wasmMd5);
    out.filestackJsMd5 = jsMd5.length ? med(jsMd5) : null;
    out.md5Agree = typeof window.filestack.md5 === 'function'
      ? (await window.skiffModule.md5_base64(bufs[0])) === window.filestack.md5(bufs[0].buffer)
      : null;
    return out;
  }

  // Memory seen from inside the page: wasm linear memory (the glue's init returns the already
  // instantiated exports; the build shortens export names, so the memory is found by its type)
  // and performance.memory's JS heap.
  let memTimer, memMax, wasmMemory;
  async function memStart(distUrl) {
    const exports = await (await import(distUrl + '/skiff.js')).default();
    wasmMemory = Object.values(exports).find((e) => e instanceof WebAssembly.Memory);
    memMax = { wasm: 0, heap: 0 };
    const sample = () => {
      memMax.wasm = Math.max(memMax.wasm, wasmMemory.buffer.byteLength);
      if (performance.memory) memMax.heap = Math.max(memMax.heap, performance.memory.usedJSHeapSize);
    };
    sample();
    memTimer = setInterval(sample, 200);
  }
  function memStop() {
    clearInterval(memTimer);
    return { wasmPeak: memMax.wasm, heapPeak: memMax.heap, wasmEnd: wasmMemory.buffer.byteLength, heapEnd: performance.memory?.usedJSHeapSize ?? null };
  }

  /** Reads a whole File once (a file from disk is then in the page cache). */
  async function settle(fileId) {
    const reader = window.skiffFiles[fileId].stream().getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.byteLength;
    }
  }

  return { loadSkiff, repeatedFile, run, primitives, memStart, memStop, settle };
})();
`;
