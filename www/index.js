// skiff-picker: the package's one entry module (copied to dist/index.js by scripts/build-wasm.sh).
//
// Importing it has no side effects: at import time it reads no global (no `window`, `document`,
// `fetch`, `WebAssembly`) and loads nothing, so it is safe to import during server-side rendering,
// in a worker, or in a bundle that never uses it. The WebAssembly module and its wasm-bindgen glue
// (`./skiff.js`, internal: never import it directly) are loaded on first use: the first call of any
// export below, or `loadWasm()` / `loadPicker()` to start loading early or to take the .wasm from
// elsewhere.
//
// Keep this file free of top-level statements other than declarations; tests/wasm/dist.test.mjs
// checks that importing it touches no global.

// Two builds of the module: the uploader alone (`./skiff.js` + skiff_bg.wasm), and the same with the
// picker (`./skiff_picker.js` + skiff_picker_bg.wasm), fetched only when a picker is used. Once the
// picker's build is loaded, it serves every call.
const modules = { uploader: undefined, picker: undefined };

// Part hashing in a Web Worker (./hash-worker.js, with its own small .wasm), started on the first
// part to hash, so that MD5s of the parts ahead do not hold the page's thread. Where no worker can
// start (no Worker here, a CSP without `worker-src 'self'`, the file not served), the wasm hashes
// on the page's thread as before, and the console says so once.
let hashWorker; // undefined: not started yet (or let go when idle); null: none can run here
// A worker idle this long is let go: it holds on to some of what hashing took (the renderer stayed
// 32-45 MiB larger after hashing 2 GiB, 26 MiB once the worker ended), and starting it again
// costs the next upload about 10 ms.
const HASH_WORKER_IDLE_MS = 5000;
let hashIdle;
// Message id -> { resolve, reject }. A plain object: importing this file reads no global, not even Map.
const hashing = {};
let hashIds = 0;

function noHashWorker(why) {
  if (hashWorker === null) return;
  hashWorker = null;
  console.warn(`skiff: parts are hashed on the page's thread: the hashing worker could not start (${why})`);
  for (const id of Object.keys(hashing)) {
    hashing[id].resolve(null);
    delete hashing[id];
  }
}

function startHashWorker() {
  if (typeof Worker === 'undefined') return noHashWorker('no Web Worker here');
  try {
    if (new URL(import.meta.url).origin === globalThis.location?.origin) {
      // This exact form lets bundlers find the worker and ship it as a chunk of its own.
      hashWorker = new Worker(new URL('./hash-worker.js', import.meta.url), { type: 'module' });
    } else {
      // The package served from another origin (a CDN): a worker's script must be the page's
      // own, so a one-line module of the page's (a blob: URL) imports the real one, which the
      // CDN serves with CORS like the rest of the package. (The name is joined at run time so
      // that bundlers do not take this line for a second copy of the worker.)
      const url = new URL(['./hash', 'worker.js'].join('-'), import.meta.url).href;
      const shim = new Blob([`import ${JSON.stringify(url)};`], { type: 'text/javascript' });
      hashWorker = new Worker(URL.createObjectURL(shim), { type: 'module' });
    }
  } catch (e) {
    return noHashWorker(e?.message ?? String(e));
  }
  hashWorker.onmessage = ({ data }) => {
    const p = hashing[data.id];
    delete hashing[data.id];
    if (data.error === undefined) p?.resolve(data.md5);
    else p?.reject(new Error(data.error));
    if (Object.keys(hashing).length === 0) {
      hashIdle = setTimeout(() => {
        if (!hashWorker) return;
        hashWorker.terminate();
        hashWorker = undefined;
      }, HASH_WORKER_IDLE_MS);
    }
  };
  // A worker that cannot load (blocked, missing) reports it here, not to the constructor.
  hashWorker.onerror = (e) => {
    e.preventDefault?.();
    noHashWorker(e.message || 'its script did not load');
  };
}

/**
 * The base64 MD5 of blob[start, end) from the worker; null where no worker runs. `pace`: at most
 * this many bytes per millisecond, 0 for as fast as it can (the uploader paces the parts no call
 * waits for to the upload's speed).
 */
function hashInWorker(blob, start, end, pace) {
  clearTimeout(hashIdle);
  if (hashWorker === undefined) startHashWorker();
  if (hashWorker === null) return Promise.resolve(null);
  const id = hashIds++;
  return new Promise((resolve, reject) => {
    hashing[id] = { resolve, reject };
    // The first of this turn's ranges posts them all once the turn's calls are over.
    if (outbox.push({ id, blob, start, end, pace }) === 1) queueMicrotask(postOutbox);
  });
}

// The ranges asked for in one turn go to the worker in one message. Sent one by one, the first
// message starts the worker on that range alone before the others have arrived, and the rest
// wait for it; together, they share the worker's lanes from the start.
const outbox = [];
function postOutbox() {
  hashWorker?.postMessage(outbox.splice(0));
}

/** Has the worker hash everything it holds at full speed: the uploader now waits for a digest. */
function hurryWorker() {
  for (const r of outbox) r.pace = 0;
  hashWorker?.postMessage('hurry');
}

function load(source, kind = 'uploader') {
  if (kind === 'uploader' && modules.picker !== undefined) return modules.picker;
  if (modules[kind] === undefined) {
    const glue = kind === 'picker' ? import('./skiff_picker.js') : import('./skiff.js');
    const attempt = glue.then(async (g) => {
      // Without a source the glue fetches its .wasm next to itself (import.meta.url), which
      // bundlers understand as an asset reference.
      await g.default(source === undefined ? undefined : { module_or_path: source });
      g.setHasher(hashInWorker, hurryWorker);
      return g;
    });
    // A failed load (network error, blocked by CSP) is not cached: the next call tries again.
    attempt.catch(() => {
      if (modules[kind] === attempt) modules[kind] = undefined;
    });
    modules[kind] = attempt;
  }
  return modules[kind];
}

/**
 * Loads and instantiates the uploader's WebAssembly module now instead of on first use. Optional.
 * `source` overrides where the .wasm comes from (URL, Response, bytes or a compiled module); it is
 * ignored once loading has started.
 */
export async function loadWasm(source) {
  await load(source);
}

/** Loads the picker's build of the module now (skiff_picker_bg.wasm), so `open()` is instant. */
export async function loadPicker(source) {
  await load(source, 'picker');
}

// Client options known to this version; anything else is refused when `init` is called, like
// filestack-js does. The wasm side checks values (URLs, security) on first use.
const CLIENT_OPTIONS = ['baseUrl', 'urls', 'security', 'cname', 'sessionCache', 'forceSentryInit'];

/**
 * A client of one app, like `filestack.init(apikey, clientOptions)`. Synchronous and free of side
 * effects: nothing loads until the first call. `clientOptions.baseUrl` points every API at one
 * self-hosted skiff-server; `clientOptions.urls` sets them one by one (filestack-js's keys).
 */
export function init(apikey, clientOptions) {
  if (typeof apikey !== 'string' || apikey.trim() === '') {
    throw new Error('An apikey is required to initialize the client');
  }
  if (clientOptions != null && typeof clientOptions !== 'object') {
    throw new Error('Invalid client options: must be an object');
  }
  for (const key of Object.keys(clientOptions ?? {})) {
    if (!CLIENT_OPTIONS.includes(key)) throw new Error(`Unknown client option \`${key}\``);
  }
  return new Client(apikey, clientOptions ?? null);
}

function splitCallbacks(uploadOptions) {
  const { onProgress, onRetry, ...rest } = uploadOptions ?? {};
  for (const [name, f] of [['onProgress', onProgress], ['onRetry', onRetry]]) {
    if (f !== undefined && typeof f !== 'function') throw new Error(`Invalid upload option \`${name}\`: must be a function`);
  }
  return { rest, onProgress, onRetry };
}

/** Binds `token.pause/resume/cancel` to a task that may not exist yet. */
function bindToken(token) {
  let task;
  const queued = [];
  const act = (name) => () => (task ? task[name]() : queued.push(name));
  if (token && typeof token === 'object') {
    token.pause = act('pause');
    token.resume = act('resume');
    token.cancel = act('cancel');
  }
  return (t) => {
    task = t;
    for (const name of queued.splice(0)) t[name]();
  };
}

class Client {
  #apikey;
  #options;
  #core;

  constructor(apikey, options) {
    this.#apikey = apikey;
    this.#options = options;
  }

  async #client() {
    const wasm = await load();
    this.#core ??= new wasm.Client(this.#apikey, this.#options);
    return this.#core;
  }

  async #run(files, uploadOptions, storeOptions, token, security) {
    const attach = bindToken(token);
    const { rest, onProgress, onRetry } = splitCallbacks(uploadOptions);
    // storeOptions.filename may be a function of the file (filestack-js); call it here, per file.
    let store = storeOptions ?? null;
    let names = null;
    if (store && typeof store.filename === 'function') {
      const name = store.filename;
      names = files.map((f) => {
        const n = name(f);
        if (typeof n !== 'string') throw new Error('Invalid store option `filename`: the function must return a string');
        return n;
      });
      const { filename, ...others } = store;
      store = others;
    }
    const core = await this.#client();
    const task = core.upload(files, rest, store, { onProgress, onRetry }, security ?? null, names);
    attach(task);
    return task.done();
  }

  /**
   * Uploads one File or Blob. Resolves to `{handle, url, filename, size, mimetype, status, key,
   * container, uploadTags}`; rejects with an Error saying which request failed and why.
   * `token` gets `pause()`, `resume()` and `cancel()`.
   */
  async upload(file, uploadOptions, storeOptions, token, security) {
    const [result] = await this.#run([file], uploadOptions, storeOptions, token, security);
    if (result.status === 'Failed') {
      const err = new Error(result.error);
      err.code = result.code;
      throw err;
    }
    return result;
  }

  /** Uploads several files, sharing the concurrency; resolves to one result per file. */
  async multiupload(files, uploadOptions, storeOptions, token, security) {
    return this.#run(Array.from(files), uploadOptions, storeOptions, token, security);
  }

  /** Stores a file from a URL (`/process`); resolves with its handle, url and uploadTags. */
  async storeURL(url, storeOptions, token, security, uploadTags) {
    const core = await this.#client();
    return core.storeUrl(url, storeOptions ?? null, uploadTags ?? null, security ?? null);
  }

  /** A file's metadata; `options` picks fields (`{size: true, md5: true, …}`). */
  async metadata(handle, options, security) {
    const core = await this.#client();
    return core.metadata(handle, options ?? null, security ?? null);
  }

  /**
   * Forgets every unfinished upload kept for resuming after a reload (uploads keep them unless
   * `uploadOptions.resume` is false).
   */
  async clearResumableUploads() {
    const core = await this.#client();
    return core.clearResumableUploads();
  }

  /** Deletes a file. */
  async remove(handle, security) {
    const core = await this.#client();
    return core.remove(handle, security ?? null);
  }

  /**
   * A picker (filestack-js's `client.picker(options)`): `open()`, `close()`, `cancel()`,
   * `crop(files)`, all returning Promises. Callbacks are checked now; the other options when the
   * picker is first opened (`open()` rejects with an Error naming a bad or unsupported option).
   */
  picker(options) {
    return new PickerInstance(this.#apikey, this.#options, options);
  }
}

const PICKER_CALLBACKS = [
  'onOpen', 'onClose', 'onCancel', 'onFileSelected', 'onUploadStarted', 'onFileUploadStarted',
  'onFileUploadProgress', 'onFileUploadFinished', 'onFileUploadFailed', 'onFileUploadCancel',
  'onUploadDone', 'acceptFn',
];
const PANE_CALLBACKS = ['onDragEnter', 'onDragLeave', 'onDragOver', 'onDrop', 'onSuccess', 'onError', 'onProgress', 'onClick'];

function mustBeFunction(name, f) {
  if (typeof f !== 'function') throw new Error(`Invalid picker option \`${name}\`: must be a function`);
}

/** Splits picker options into plain data (read by the wasm side) and the app's functions. */
function splitPickerOptions(options, instance) {
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new Error('Invalid picker options: must be an object');
  }
  const data = { ...(options ?? {}) };
  const fns = {};
  for (const name of PICKER_CALLBACKS) {
    if (data[name] !== undefined) {
      mustBeFunction(name, data[name]);
      fns[name] = data[name];
      delete data[name];
    }
  }
  const hooks = { filesFromDrop };
  for (const name of PICKER_CALLBACKS) {
    if (fns[name] && name !== 'onOpen' && name !== 'acceptFn' && name !== 'onFileSelected') hooks[name] = fns[name];
  }
  if (data.container != null && typeof data.container === 'object') {
    hooks.container = data.container;
    data.container = '#skiff-container-node';
  }
  if (data.dropPane && typeof data.dropPane === 'object') {
    const pane = { ...data.dropPane };
    for (const name of PANE_CALLBACKS) {
      if (pane[name] !== undefined) {
        mustBeFunction(`dropPane.${name}`, pane[name]);
        hooks[`dropPane.${name}`] = pane[name];
        delete pane[name];
      }
    }
    data.dropPane = pane;
  }
  if (data.uploadConfig && typeof data.uploadConfig === 'object') {
    const { onProgress, onRetry, tags, ...rest } = data.uploadConfig;
    data.uploadConfig = rest;
    if (tags != null && typeof tags === 'object') {
      const plain = {};
      let dynamic = false;
      for (const [k, v] of Object.entries(tags)) {
        if (typeof v === 'function') dynamic = true;
        else plain[k] = v;
      }
      data.uploadConfig.tags = plain;
      if (dynamic) {
        // Called per file: functions of the file, strings as they are.
        hooks.tags = (file) => {
          const out = {};
          for (const [k, v] of Object.entries(tags)) {
            out[k] = typeof v === 'function' ? v(file) : v;
            if (typeof out[k] !== 'string') throw new Error(`the tag function for "${k}" must return a string`);
          }
          return out;
        };
      }
    } else if (tags !== undefined) {
      data.uploadConfig.tags = tags;
    }
  }
  const { acceptFn, onFileSelected } = fns;
  if (acceptFn || onFileSelected) {
    const accept = [].concat(data.accept ?? []);
    const acceptMime = accept.filter((a) => a.includes('/'));
    // The app's verdict on one picked file: resolves to a new name (or nothing), rejects to refuse.
    hooks.check = async (file) => {
      if (acceptFn) {
        // Only the picker calls this, so its build of the module is loaded already.
        const wasm = await load(undefined, 'picker');
        const fromExtension = (name) => wasm.Picker.mimetypeOfName(String(name ?? ''));
        await acceptFn(file, {
          accept,
          acceptMime,
          mimeFromExtension: fromExtension,
          mimeFromMagicBytes: async (f) => (f && f.type) || fromExtension(file.filename),
        });
      }
      if (onFileSelected) {
        const r = await onFileSelected(file);
        const name = r && typeof r === 'object' ? (r.name ?? r.filename) : undefined;
        if (typeof name === 'string' && name !== file.filename) return name;
      }
      return undefined;
    };
  }
  const onOpen = fns.onOpen;
  return { data, hooks, onOpen: onOpen && (() => onOpen(instance)) };
}

/**
 * The files of a drop, with dropped folders walked (every file inside, at any depth). The drop's
 * items must be read during the drop event, so this starts synchronously.
 */
function filesFromDrop(dataTransfer) {
  const items = Array.from(dataTransfer?.items ?? []).filter((i) => i.kind === 'file');
  const entries = items.map((i) => (typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => !e)) return Promise.resolve(Array.from(dataTransfer?.files ?? []));
  return Promise.all(entries.map(walkEntry)).then((lists) => lists.flat());
}

function walkEntry(entry) {
  if (entry.isFile) return new Promise((resolve) => entry.file((f) => resolve([f]), () => resolve([])));
  if (!entry.isDirectory) return Promise.resolve([]);
  const reader = entry.createReader();
  const children = [];
  // readEntries returns at most 100 entries per call: read until it returns none.
  const next = () => new Promise((resolve) => reader.readEntries(resolve, () => resolve([])))
    .then((batch) => (batch.length ? (children.push(...batch), next()) : children));
  return next().then((all) => Promise.all(all.map(walkEntry))).then((lists) => lists.flat());
}

/**
 * The picker's words in each language but English (dist/lang/<code>.js, built from www/lang), each
 * imported only when a picker asks for it. One literal `import()` per language is the form every
 * bundler (Vite, webpack, esbuild, Parcel) emits as a separate chunk; a URL built at run time
 * (`new URL(\`./lang/${lang}.json\`, import.meta.url)`) made Vite inline all 19 files into the
 * app's entry chunk instead.
 */
const TRANSLATIONS = {
  ar: () => import('./lang/ar.js'),
  ca: () => import('./lang/ca.js'),
  da: () => import('./lang/da.js'),
  de: () => import('./lang/de.js'),
  es: () => import('./lang/es.js'),
  fr: () => import('./lang/fr.js'),
  he: () => import('./lang/he.js'),
  it: () => import('./lang/it.js'),
  ja: () => import('./lang/ja.js'),
  ko: () => import('./lang/ko.js'),
  nl: () => import('./lang/nl.js'),
  no: () => import('./lang/no.js'),
  pl: () => import('./lang/pl.js'),
  pt: () => import('./lang/pt.js'),
  ru: () => import('./lang/ru.js'),
  sv: () => import('./lang/sv.js'),
  tr: () => import('./lang/tr.js'),
  vi: () => import('./lang/vi.js'),
  zh: () => import('./lang/zh.js'),
};

/** The picker's words in `lang`; null for English (or a code the wasm side refuses by name). */
async function loadTranslation(lang) {
  const load = Object.hasOwn(TRANSLATIONS, lang) ? TRANSLATIONS[lang] : null;
  if (!load) return null;
  try {
    return (await load()).default;
  } catch (e) {
    throw new Error(`Could not load the picker's words for lang "${lang}" (lang/${lang}.js next to the package's index.js): ${e?.message ?? e}`);
  }
}

/** One picker, like filestack-js's PickerInstance. */
class PickerInstance {
  #apikey;
  #options;
  #split;
  #core;
  // open / close / cancel / crop run one after the other, each after the previous one settled,
  // so `open(); close();` without awaiting closes the picker that open() showed.
  #queue = Promise.resolve();

  #serial(step) {
    const run = this.#queue.then(step);
    this.#queue = run.catch(() => {});
    return run;
  }

  constructor(apikey, clientOptions, options) {
    this.#apikey = apikey;
    this.#options = clientOptions;
    this.#split = splitPickerOptions(options, this);
  }

  async #picker() {
    if (!this.#core) {
      const { data, hooks } = this.#split;
      const [wasm, translation] = await Promise.all([load(undefined, 'picker'), loadTranslation(data.lang)]);
      // The picker runs in its own build of the module, with a client of that build.
      this.#core ??= new wasm.Picker(new wasm.Client(this.#apikey, this.#options), data, hooks, translation);
    }
    return this.#core;
  }

  /** Shows the picker; resolves once it is on the page and focused. */
  open() {
    return this.#serial(async () => {
      const picker = await this.#picker();
      if (await picker.open([])) this.#split.onOpen?.();
    });
  }

  /** Removes the picker from the page (uploads still running are stopped). */
  close() {
    return this.#serial(async () => this.#core?.close());
  }

  /** Cancels every upload (`onCancel`) and closes. */
  cancel() {
    return this.#serial(async () => this.#core?.cancel());
  }

  /** Opens the picker with `files` (Files or Blobs) already selected. */
  crop(files) {
    return this.#serial(async () => {
      const list = Array.from(files ?? []);
      for (const [i, f] of list.entries()) {
        if (!(f instanceof Blob)) throw new Error(`Invalid file at position ${i} for crop(): expected a File or Blob (links are not supported yet)`);
      }
      const picker = await this.#picker();
      if (await picker.open(list)) this.#split.onOpen?.();
    });
  }
}

/** Base64 of the raw MD5 digest of `data` (the protocol's part checksum, `Content-MD5` form). */
export async function md5_base64(data) {
  const bytes = asBytes(data);
  const wasm = await load();
  return wasm.md5_base64(bytes);
}

/** Version of the loaded WebAssembly module (the package version it was built for). */
export async function version() {
  const wasm = await load();
  return wasm.version();
}

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('expected a Uint8Array, another ArrayBufferView or an ArrayBuffer');
}
