// The Uppy side of the big-folder benchmark (bench/cloud/folder.bench.mjs): Uppy core, the
// Dashboard as a modal and the WebDAV plugin talking to a real @uppy/companion, with the packages'
// CSS, as an app would ship them. Bundled at bench time by bench/cloud/folder-uppy-build.mjs
// (esbuild, minified) into .cache/bench-folder/uppy/; nothing here is committed build output.
//
// window.uppyFolder.open(companionUrl)  creates Uppy + Dashboard + WebDAV and opens the modal
// window.uppyFolder.grid()              switches the WebDAV browser to Uppy's grid layout
// window.uppyFolder.ready               true once this script has run

import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import Webdav from '@uppy/webdav';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';

let uppy;

function open(companionUrl) {
  if (!uppy) {
    uppy = new Uppy();
    uppy.use(Dashboard, { inline: false, target: 'body' });
    uppy.use(Webdav, { target: Dashboard, companionUrl });
  }
  return uppy.getPlugin('Dashboard').openModal();
}

// @uppy/webdav builds its ProviderView with `viewType: 'list'` and offers no switch. Uppy's folder
// browser has a grid layout of its own (the one its image-search plugins use), chosen by that same
// option, so the benchmark sets it on the plugin's view and asks for a render. In Uppy's grid a
// folder tile only ticks the folder and cannot open it, which is why the folder is opened in the
// list first.
function grid() {
  const webdav = uppy.getPlugin('WebDav');
  webdav.view.opts.viewType = 'grid';
  webdav.setPluginState({});
}

window.uppyFolder = { open, grid, ready: true };
