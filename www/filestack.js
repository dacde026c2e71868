// skiff-picker/filestack: makes unmodified filestack-js open Skiff's picker (copied to
// dist/filestack.js by the build).
//
// filestack-js does not contain the picker UI. `client.picker(options)` validates the options and
// then asks @filestack/loader for the module `picker` (docs/protocol.md §1.2 item 6):
//
//   const Picker = await loadModule('picker', client.session.urls.pickerUrl);
//   return new Picker(client, options);        // then only open() / close() / cancel() / crop(files)
//
// The loader keeps its module table at `window.filestackInternals.modules`; when
// `modules['fs-loader-picker'].instance` is already set it is used as is and nothing is fetched,
// otherwise a <script> is injected from `pickerUrl` (static.filestackapi.com by default) and the
// table is read 10 ms after that script's `load` event. This module puts Skiff's picker in that slot.
//
// Use 1, in the page's code (nothing is requested from Filestack's CDN):
//
//   import * as filestack from 'filestack-js';
//   import { registerWithFilestack } from 'skiff-picker/filestack';   // this file
//
//   registerWithFilestack();
//   const client = filestack.init(apikey);            // unmodified filestack-js, as before
//   client.picker({ maxFiles: 2, onUploadDone: (res) => console.log(res.filesUploaded) }).open();
//
// The order of registerWithFilestack() and loading filestack-js does not matter, but it must run
// before the first `client.picker(...)` is constructed (a construction that already started to
// fetch Filestack's picker.js is left alone; later ones get Skiff's).
//
// Use 2, without touching the page's code: serve dist/ and point filestack-js's picker URL at
// dist/filestack-register.js (a script that registers Skiff's picker when it runs, usable both as the
// classic script the loader injects and as <script type="module">):
//
//   client.session.urls.pickerUrl = 'https://files.example.com/skiff/filestack-register.js';
//
// The loader injects that script with crossorigin="anonymous": when it is on another origin than
// the page, its server must answer with Access-Control-Allow-Origin (as it must anyway for the
// module imports and the .wasm). Or simply: <script type="module" src=".../filestack-register.js">.
//
// Where Skiff's picker sends the files: the Skiff client is made from the filestack-js client —
// same apikey, the URLs of `client.session.urls` (uploadApiUrl, fileApiUrl, processUrl, cdnUrl,
// cloudApiUrl; already rewritten by a `cname` option) and `client.session.policy/signature` when
// both are set. `registerWithFilestack({ baseUrl })` instead sends everything to one skiff-server.
//
// Importing this module has no side effects (no global is read or written until a function below
// is called), like index.js.

import { init } from './index.js';

/** The loader's key for the picker module (`'fs-loader-' + FILESTACK_MODULES.PICKER`). */
export const FILESTACK_PICKER_MODULE = 'fs-loader-picker';

// filestack-js's `config.urls` keys Skiff reads (pickerUrl is not needed: the picker is Skiff's).
const URL_KEYS = ['uploadApiUrl', 'fileApiUrl', 'processUrl', 'cdnUrl', 'cloudApiUrl'];

/**
 * Skiff client options equivalent to a filestack-js client's session: `{ urls, security }`, or
 * `{ baseUrl, security }` when `settings.baseUrl` is given. Exported for tests and for apps that
 * build their own adapter.
 */
export function clientOptionsFromFilestack(fsClient, settings) {
  const session = fsClient && fsClient.session;
  if (!session || typeof session.apikey !== 'string') {
    throw new Error('Skiff picker: expected a filestack-js Client (with `session.apikey`) as the first argument');
  }
  const options = {};
  if (settings && settings.baseUrl !== undefined) {
    options.baseUrl = settings.baseUrl;
  } else {
    const urls = {};
    for (const key of URL_KEYS) {
      const value = session.urls && session.urls[key];
      if (typeof value !== 'string' || value === '') continue;
      // filestack-js's request adapters prepend https:// to URLs without a scheme; Skiff wants it.
      urls[key] = /^https?:\/\//i.test(value) ? value : `https://${value}`;
    }
    options.urls = urls;
  }
  if (session.policy && session.signature) {
    options.security = { policy: session.policy, signature: session.signature };
  }
  return options;
}

/**
 * Skiff's picker for a filestack-js client: what `new Picker(client, pickerOptions)` must return to
 * filestack-js (an object with promise-returning `open()`, `close()`, `cancel()`, `crop(files)`).
 */
export function createFilestackPicker(fsClient, pickerOptions, settings) {
  const skiff = init(fsClient.session.apikey, clientOptionsFromFilestack(fsClient, settings));
  if (typeof skiff.picker !== 'function') {
    throw new Error('Skiff picker: this build of skiff-picker has no picker (client.picker is missing)');
  }
  return skiff.picker(pickerOptions);
}

/**
 * Registers Skiff's picker as filestack-js's picker module. Call it in a browser before the first
 * `client.picker(...)`. `settings.baseUrl`: send every request to this skiff-server instead of
 * the URLs in the filestack-js client's session.
 *
 * Returns a function that restores the previous registration (for tests and hot reloading).
 * Without a `window` (server-side rendering, workers) it does nothing, like @filestack/loader.
 */
export function registerWithFilestack(settings) {
  if (settings != null && typeof settings !== 'object') {
    throw new Error('registerWithFilestack: settings must be an object');
  }
  const copy = settings == null ? undefined : { ...settings };
  // `new Picker(client, options)`: a constructor that returns Skiff's picker instance.
  function SkiffFilestackPicker(fsClient, pickerOptions) {
    return createFilestackPicker(fsClient, pickerOptions, copy);
  }
  return installPickerModule(SkiffFilestackPicker);
}

/**
 * Puts `Picker` (a constructor) in @filestack/loader's module table, the way the loader's own
 * `registerModule` would, but without replacing objects the loader may already hold: the loader
 * captures `window.filestackInternals.modules` once, when filestack-js is evaluated, so that object
 * must stay the same; the entry keeps its other fields (a pending `promise` of a fetch in flight).
 */
export function installPickerModule(Picker, metadata = { name: 'skiff-picker' }) {
  if (typeof Picker !== 'function') throw new TypeError('installPickerModule: Picker must be a constructor');
  if (typeof window === 'undefined') return () => {};
  let internals = window.filestackInternals;
  if (!internals || typeof internals !== 'object') {
    internals = { modules: {} };
    window.filestackInternals = internals;
  }
  if (!internals.modules || typeof internals.modules !== 'object') internals.modules = {};
  const modules = internals.modules;
  let entry = modules[FILESTACK_PICKER_MODULE];
  if (!entry || typeof entry !== 'object') {
    entry = {};
    modules[FILESTACK_PICKER_MODULE] = entry;
  }
  const previous = { instance: entry.instance, metadata: entry.metadata };
  entry.instance = Picker;
  entry.metadata = metadata;
  return function unregister() {
    if (entry.instance !== Picker) return; // someone registered after us: leave theirs
    entry.instance = previous.instance;
    entry.metadata = previous.metadata;
    if (previous.instance === undefined) delete entry.instance;
    if (previous.metadata === undefined) delete entry.metadata;
  };
}
