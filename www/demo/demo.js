// The demo page of the picker, served by `skiff-server --demo target/demo-site` (see
// scripts/build.sh, which copies this folder and dist/ there). Shows the picker in its three
// display modes against the server that serves the page, with the app key `demo`.

import { init, version } from './dist/index.js';

const client = init('demo', { baseUrl: location.origin });

const LANGUAGES = {
  ca: 'Català', da: 'Dansk', de: 'Deutsch', en: 'English', es: 'Español', fr: 'Français',
  he: 'עברית', it: 'Italiano', ja: '日本語', ko: '한국어', nl: 'Nederlands', no: 'Norsk',
  pl: 'Polski', pt: 'Português', sv: 'Svenska', ru: 'Русский', vi: 'Tiếng Việt', zh: '中文',
  tr: 'Türkçe', ar: 'العربية',
};
const ACCEPT = { any: undefined, images: ['image/*'] };
const MODE_NAMES = { overlay: 'Overlay', inline: 'Inline', dropPane: 'Drop pane', settings: 'Settings', page: 'Page' };

const $ = (id) => document.getElementById(id);
const langSelect = $('lang');
const acceptSelect = $('accept');

// ---- event log ----------------------------------------------------------------------------

function log(mode, event, detail = '', kind = '') {
  const item = document.createElement('li');
  if (kind) item.className = kind;
  const time = new Date().toLocaleTimeString([], { hour12: false });
  item.append(
    span('time', time),
    span(`mode mode-${mode}`, MODE_NAMES[mode] ?? mode),
    span('event', event),
    span('detail', detail),
  );
  const list = $('log');
  list.prepend(item);
  while (list.children.length > 200) list.lastElementChild.remove();
}

function span(className, text) {
  const s = document.createElement('span');
  s.className = className;
  s.textContent = text;
  return s;
}

const names = (files) => (files ?? []).map((f) => f.filename).join(', ');

// ---- results ------------------------------------------------------------------------------

const shown = new Set();

function formatSize(n) {
  if (typeof n !== 'number') return '—';
  // Decimal units, as the picker shows them (1 kB = 1000 B).
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function addResults(mode, files) {
  const body = $('results');
  for (const f of files ?? []) {
    if (!f.handle || shown.has(f.handle)) continue;
    shown.add(f.handle);
    body.querySelector('.empty')?.remove();
    const row = document.createElement('tr');

    const name = document.createElement('td');
    const link = document.createElement('a');
    link.href = f.url || `${location.origin}/${f.handle}`;
    link.target = '_blank';
    link.rel = 'noopener';
    link.append(breakable(f.filename ?? f.handle));
    name.append(link);

    const handle = document.createElement('td');
    handle.append(span('mono', f.handle));

    const tags = document.createElement('td');
    for (const [k, v] of Object.entries(f.uploadTags ?? {})) tags.append(span('tag', `${k}=${v}`));

    row.append(
      name,
      handle,
      cell(formatSize(f.size), 'num'),
      cell(f.mimetype ?? '—', 'mono'),
      tags,
      cell(`${MODE_NAMES[mode]} · ${f.source ?? '?'}`, 'muted'),
    );
    body.prepend(row);
  }
  $('count').textContent = String(shown.size);
}

/**
 * `name` with line-break opportunities after its separators (`_`, `-`, `.`, `/`, spaces are
 * breaks already), so a long name like `quarterly_report-2026.final.pdf` wraps between its words
 * rather than in the middle of one; CSS breaks inside a word only when a part is still too long.
 */
function breakable(name) {
  const out = document.createDocumentFragment();
  for (const part of String(name).split(/(?<=[_\-./])/)) {
    if (out.childNodes.length) out.append(document.createElement('wbr'));
    out.append(part);
  }
  return out;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// ---- pickers ------------------------------------------------------------------------------

/** The options every picker shares, with callbacks that log under `mode`. */
function options(mode) {
  const accept = ACCEPT[acceptSelect.value];
  return {
    fromSources: ['local_file_system', 'url'],
    maxFiles: 5,
    lang: langSelect.value,
    ...(accept ? { accept } : {}),
    uploadConfig: { tags: { demo: 'yes', name: (file) => file.filename } },
    onOpen: () => log(mode, 'onOpen'),
    onClose: () => log(mode, 'onClose'),
    onCancel: () => log(mode, 'onCancel', '', 'warn'),
    onUploadStarted: (files) => log(mode, 'onUploadStarted', `${files.length} file(s): ${names(files)}`),
    onFileUploadStarted: (file) => log(mode, 'onFileUploadStarted', file.filename),
    onFileUploadFinished: (file) => {
      log(mode, 'onFileUploadFinished', `${file.filename} → ${file.handle}`, 'ok');
      addResults(mode, [file]);
    },
    onFileUploadFailed: (file, error) => log(mode, 'onFileUploadFailed', `${file.filename}: ${error?.code ? `[${error.code}] ` : ''}${error?.message ?? error}`, 'bad'),
    onFileUploadCancel: (file) => log(mode, 'onFileUploadCancel', file.filename, 'warn'),
    onUploadDone: (res) => {
      const up = res.filesUploaded ?? [];
      const failed = res.filesFailed ?? [];
      log(mode, 'onUploadDone', `${up.length} uploaded, ${failed.length} failed`, failed.length ? 'warn' : 'ok');
      addResults(mode, up);
    },
  };
}

function failed(mode, err, container) {
  const message = err?.message ?? String(err);
  log(mode, 'error', message, 'bad');
  if (container) {
    container.replaceChildren(span('mount-error', `The picker could not open: ${message}`));
  }
}

let overlay;
let embedded = [];

async function openOverlay() {
  await overlay?.close();
  overlay = client.picker(options('overlay'));
  try {
    await overlay.open();
  } catch (err) {
    failed('overlay', err);
  }
}

/** (Re-)creates the inline picker and the drop pane with the current settings, one change at a time. */
let mounting = Promise.resolve();
function remount() {
  mounting = mounting.then(mountEmbedded, mountEmbedded);
  return mounting;
}

async function mountEmbedded() {
  const old = embedded;
  embedded = [];
  await Promise.all(old.map((p) => p.close().catch(() => {})));
  const inlineBox = $('inline-picker');
  const paneBox = $('drop-pane');
  inlineBox.replaceChildren();
  paneBox.replaceChildren();

  const inline = client.picker({ ...options('inline'), displayMode: 'inline', container: '#inline-picker' });
  const pane = client.picker({
    ...options('dropPane'),
    displayMode: 'dropPane',
    container: '#drop-pane',
    dropPane: {
      onSuccess: (files) => {
        log('dropPane', 'dropPane.onSuccess', `${files.length} file(s): ${names(files)}`, 'ok');
        addResults('dropPane', files);
      },
      onError: (files) => log('dropPane', 'dropPane.onError', names(files), 'bad'),
    },
  });
  embedded = [inline, pane];
  await Promise.all([
    inline.open().catch((err) => failed('inline', err, inlineBox)),
    pane.open().catch((err) => failed('dropPane', err, paneBox)),
  ]);
}

// ---- settings -----------------------------------------------------------------------------

function readSettings() {
  const q = new URLSearchParams(location.search);
  const lang = q.get('lang');
  const accept = q.get('accept');
  for (const [code, label] of Object.entries(LANGUAGES)) {
    langSelect.add(new Option(`${label} (${code})`, code));
  }
  langSelect.value = lang in LANGUAGES ? lang : 'en';
  acceptSelect.value = accept in ACCEPT ? accept : 'any';
}

function settingsChanged() {
  const q = new URLSearchParams(location.search);
  q.set('lang', langSelect.value);
  q.set('accept', acceptSelect.value);
  history.replaceState(null, '', `${location.pathname}?${q}`);
  log('settings', 'changed', `lang=${langSelect.value}, accept=${acceptSelect.value}`);
  overlay?.close();
  overlay = undefined;
  remount();
}

// ---- start --------------------------------------------------------------------------------

readSettings();
$('origin').textContent = location.origin;
langSelect.addEventListener('change', settingsChanged);
acceptSelect.addEventListener('change', settingsChanged);
$('open-overlay').addEventListener('click', openOverlay);
$('clear-log').addEventListener('click', () => $('log').replaceChildren());
$('clear-results').addEventListener('click', () => {
  shown.clear();
  $('count').textContent = '0';
  $('results').replaceChildren(Object.assign(document.createElement('tr'), {
    className: 'empty',
    innerHTML: '<td colspan="6">Nothing uploaded yet: pick a file with any of the pickers above.</td>',
  }));
});
version()
  .then((v) => {
    const badge = $('version');
    badge.textContent = `v${v}`;
    badge.hidden = false;
  })
  .catch((err) => log('page', 'error', `The WebAssembly module did not load: ${err?.message ?? err}`, 'bad'));
remount();
