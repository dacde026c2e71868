// Types of skiff-picker's entry module (copied to dist/index.d.ts by scripts/build-wasm.sh).
// Keep in sync with www/index.js.

/** Where the WebAssembly module can come from (what `WebAssembly.instantiateStreaming` or
 * `WebAssembly.instantiate` accept, or a URL to fetch). */
export type InitSource = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads and instantiates the WebAssembly module now instead of on first use. Optional.
 * `source` overrides where the .wasm comes from; it is ignored once loading has started.
 */
export function init(source?: InitSource | Promise<InitSource>): Promise<void>;

/** Base64 of the raw MD5 digest of `data` (the protocol's part checksum, `Content-MD5` form). */
export function md5_base64(data: ArrayBuffer | ArrayBufferView): Promise<string>;

/** Version of the loaded WebAssembly module (the package version it was built for). */
export function version(): Promise<string>;
