// skiff-picker: the package's one entry module (copied to dist/index.js by scripts/build-wasm.sh).
//
// Importing it has no side effects: at import time it reads no global (no `window`, `document`,
// `fetch`, `WebAssembly`) and loads nothing, so it is safe to import during server-side rendering,
// in a worker, or in a bundle that never uses it. The WebAssembly module and its wasm-bindgen glue
// (`./skiff.js`, internal: never import it directly) are loaded on first use: the first call of any
// export below, or `init()` to start loading early or to take the .wasm from elsewhere.
//
// Keep this file free of top-level statements other than declarations; tests/wasm/dist.test.mjs
// checks that importing it touches no global.

/** @type {Promise<typeof import('./skiff.js')> | undefined} */
let loading;

function load(source) {
  if (loading === undefined) {
    const attempt = import('./skiff.js').then(async (glue) => {
      // Without a source the glue fetches skiff_bg.wasm next to itself (import.meta.url), which
      // bundlers understand as an asset reference.
      await glue.default(source === undefined ? undefined : { module_or_path: source });
      return glue;
    });
    // A failed load (network error, blocked by CSP) is not cached: the next call tries again.
    attempt.catch(() => {
      if (loading === attempt) loading = undefined;
    });
    loading = attempt;
  }
  return loading;
}

/**
 * Loads and instantiates the WebAssembly module now instead of on first use. Optional.
 * `source` overrides where the .wasm comes from (URL, Response, bytes or a compiled module); it is
 * ignored once loading has started.
 */
export async function loadWasm(source) {
  await load(source);
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

  /** Deletes a file. */
  async remove(handle, security) {
    const core = await this.#client();
    return core.remove(handle, security ?? null);
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
