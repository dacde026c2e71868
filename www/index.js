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
export async function init(source) {
  await load(source);
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
