// The Uppy side of the picker-open benchmark (bench/browser/picker-open.bench.mjs): Uppy core + the
// Dashboard as a modal (`inline: false`), with both packages' CSS, as an app would ship them.
// Bundled at bench time by bench/browser/picker-uppy-build.mjs (esbuild, minified) into
// .cache/bench-picker/uppy/ as uppy.js + uppy.css; nothing here is committed build output.
//
// window.openUppy():  creates Uppy and the Dashboard on the first call (so the first open pays for
//                     it, as a page that builds its uploader on demand would), then
//                     dashboard.openModal(); returns its promise.
// window.closeUppy(): dashboard.closeModal(); returns its promise (resolves after the close
//                     animation), or undefined when nothing is open.

import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';

let dashboard;

window.openUppy = () => {
  if (!dashboard) {
    const uppy = new Uppy();
    uppy.use(Dashboard, { inline: false, target: 'body' });
    dashboard = uppy.getPlugin('Dashboard');
  }
  return dashboard.openModal();
};

window.closeUppy = () => dashboard?.closeModal();

window.uppyReady = true;
