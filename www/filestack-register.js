// skiff-picker/filestack-register: registers Skiff's picker as filestack-js's picker module as soon
// as it runs (copied to dist/filestack-register.js by the build). See filestack.js for the details.
//
// Deliberately written to run both as a classic script and as a module: no static import/export and
// no import.meta, only a dynamic import() of ./filestack.js (resolved against this file's URL in both
// cases). So it works:
//
//   * as filestack-js's picker URL, injected by @filestack/loader as a classic <script>:
//       client.session.urls.pickerUrl = 'https://files.example.com/skiff/filestack-register.js';
//       client.picker(options).open();          // Skiff's picker, nothing from Filestack's CDN
//   * in the page: <script type="module" src="https://files.example.com/skiff/filestack-register.js">
//     (or `import 'skiff-picker/filestack-register'`), before the first client.picker(...).
//
// The loader reads its module table 10 ms after this script's load event, so the registration is
// synchronous: a small constructor that imports ./filestack.js on first use and forwards open(),
// close(), cancel() and crop(files) to Skiff's picker once it is there. Cross-origin, the server of
// these files must send Access-Control-Allow-Origin (the loader sets crossorigin="anonymous").
(function () {
  'use strict';
  if (typeof window === 'undefined') return;

  var loading;
  function load() {
    if (!loading) {
      loading = import('./filestack.js');
      // A failed load is not kept: the next picker tries again.
      loading.catch(function () { loading = undefined; });
    }
    return loading;
  }

  // `new Picker(client, options)`, as filestack-js's PickerLoader calls it.
  function SkiffFilestackPicker(client, options) {
    var picker = load().then(function (m) { return m.createFilestackPicker(client, options); });
    picker.catch(function () { /* reported by the first method called */ });
    function forward(name) {
      return function () {
        var args = arguments;
        return picker.then(function (p) { return p[name].apply(p, args); });
      };
    }
    this.open = forward('open');
    this.close = forward('close');
    this.cancel = forward('cancel');
    this.crop = forward('crop');
  }

  // Same as installPickerModule in filestack.js: keep the loader's objects, set `instance`.
  var internals = window.filestackInternals;
  if (!internals || typeof internals !== 'object') {
    internals = { modules: {} };
    window.filestackInternals = internals;
  }
  if (!internals.modules || typeof internals.modules !== 'object') internals.modules = {};
  var entry = internals.modules['fs-loader-picker'];
  if (!entry || typeof entry !== 'object') {
    entry = {};
    internals.modules['fs-loader-picker'] = entry;
  }
  entry.instance = SkiffFilestackPicker;
  entry.metadata = { name: 'skiff-picker' };
  load().catch(function () { /* retried when a picker is made */ });
})();
