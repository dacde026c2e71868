// Big-folder benchmark (`npm run bench`, scripts/bench-folder.sh): one real WebDAV folder of 5,000
// files opened side by side, in one headless Chromium, in
//   - Skiff's picker (dist/, a snapshot taken at the start) on skiff-server's Cloud API, whose
//     `[sources.webdav]` is an rclone WebDAV server with credentials, and
//   - Uppy's picker: @uppy/core + @uppy/dashboard (modal) + @uppy/webdav, bundled by esbuild
//     (folder-uppy-build.mjs), through a real @uppy/companion 6.2.2 (companion.mjs) reading the same
//     tree from a second rclone WebDAV server without credentials (Companion's WebDAV login takes a
//     public URL and sends none).
// Both read the same folder on the same disk. Uppy is the anchor (1.00×).
//
// A round, per contender, in a fresh browser context (nothing cached): load the page, open the
// picker on the WebDAV source at the root (Uppy: its WebDAV tab and its URL form, as a person
// would), wait until the page is quiet, then
//   1. first rows: a real click (playwright-core) on the folder; the time from that click's event
//      to the first painted row of the folder (folder-page.js explains the MutationObserver +
//      double-rAF method); long tasks until the folder has finished rendering are in the details;
//   2. scrolling: switch the browser to its grid layout (untimed for the targets), then scroll its
//      scroll container from the top to the end in steps of BENCH_FOLDER_SCROLL_PX, one step per
//      painted frame (Skiff may load more as the end nears: the scroll goes on while the content
//      grows); long tasks (PerformanceObserver `longtask`, buffered) that start meanwhile: their
//      count, the longest, and the total blocking time (Σ duration − 50 ms).
// Contender order alternates between rounds. The folder is opened in each picker's default list
// layout: in Uppy's grid a folder tile can only be ticked, not opened.
//
// Targets (exit status 1 when one is missed or a run failed): Skiff's median click → first rows
// below Uppy's; Skiff's median below 100 ms; no Skiff long task over 50 ms while scrolling the grid
// (in any round: a long task is by definition one over 50 ms, so this means none at all).
// Exit status 2: setup error (no Chromium, packages, servers, or a picker that does not load).
//
// Environment: BENCH_FOLDER_ROUNDS (3), BENCH_FOLDER_ITEMS (5000), BENCH_FOLDER_SCROLL_PX (400),
// BENCH_FOLDER_SETTLE_MS (500: quiet time before a timed click), BENCH_FOLDER_DIST (dist/),
// CHROMIUM_BIN (the system's Chromium by default). Needs rclone, curl, the release skiff-server (SKIFF_SERVER_BIN) and
// Companion in .cache/companion (scripts/bench-folder.sh sees to all of it).
//
// What it shares with the picker-open benchmark (bench/browser/picker-open.bench.mjs) is in
// bench/browser/: head-to-head.mjs (the page, a fresh page per round, the alternating rounds, the
// report's machine and checkout lines), page-frames.js (frame helpers in the page) and
// uppy-bundle.mjs (the bundling behind folder-uppy-build.mjs).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '../../tests/e2e/support/browser.mjs';
import { REPO_ROOT, startServer } from '../../tests/e2e/support/server.mjs';
import { startStaticServer } from '../../tests/e2e/support/static.mjs';
import { startWebdav } from '../../tests/e2e/support/webdav.mjs';
import {
  alternatingRounds, benchPage, builtAt, checkout, machineLine, openBenchPage, playwrightChromium, runMain,
} from '../browser/head-to-head.mjs';
import { snapshotDist } from '../browser/picker-site.mjs';
import { f1, f2, finishReport, median, sleep, targetsTable } from '../browser/util.mjs';
import { PREFIX as COMPANION_PREFIX, startCompanion } from './companion.mjs';
import { ensureFolderUppyBundle } from './folder-uppy-build.mjs';

const ROUNDS = Math.max(1, Number(process.env.BENCH_FOLDER_ROUNDS ?? 3));
const ITEMS = Math.max(1, Number(process.env.BENCH_FOLDER_ITEMS ?? 5000));
const STEP_PX = Math.max(1, Number(process.env.BENCH_FOLDER_SCROLL_PX ?? 400));
const SETTLE_MS = Math.max(0, Number(process.env.BENCH_FOLDER_SETTLE_MS ?? 500));
const DIST = process.env.BENCH_FOLDER_DIST ?? join(REPO_ROOT, 'dist');
const APIKEY = 'folder-bench';
const FOLDER = 'many';
const FILE_PREFIX = 'item-';
const digits = String(ITEMS).length;
const fileName = (i) => `${FILE_PREFIX}${String(i).padStart(digits, '0')}.txt`;
const LAST = fileName(ITEMS);
// The most a scroll may take before it counts as failed (a picker that never reaches the end).
const SCROLL_MAX_MS = 120_000;
// At the end of the folder, how long to wait for more items to be loaded before calling it done.
const MORE_MS = 1500;

const CONTENDERS = [
  { id: 'uppy', label: 'Uppy (Dashboard + @uppy/webdav, Companion)' },
  { id: 'skiff', label: 'Skiff picker (skiff-server)' },
];

const log = (...a) => console.error('[bench-folder]', ...a);

class SetupError extends Error {}

// The page both contenders load: the Uppy bundle (folder-uppy.mjs), then the module that loads
// Skiff's dist/ and defines window.folderBench (folder-page.js, served from /bench/cloud/). The icon
// is an empty data: URL so that no page load asks the server for /favicon.ico.
const PAGE = benchPage({
  title: 'Big folder benchmark',
  text: 'An ordinary page whose file picker browses a WebDAV server.',
  script: '/bench/cloud/folder-page.js',
  head: ['<link rel="icon" href="data:,">'],
});

/** The WebDAV tree: /readme.txt and /many/ with ITEMS files of 16 bytes. */
function makeTree(dir) {
  const tree = join(dir, 'tree');
  mkdirSync(join(tree, FOLDER), { recursive: true });
  writeFileSync(join(tree, 'readme.txt'), 'a big folder is in many/\n');
  for (let i = 1; i <= ITEMS; i++) writeFileSync(join(tree, FOLDER, fileName(i)), `file ${String(i).padStart(10, '0')}\n`);
  return tree;
}

/**
 * For scale: the same folder's listing fetched without a browser by curl (its own time_total, the
 * answer read in full), median of `n`: straight from rclone (PROPFIND, Depth: 1), from
 * skiff-server (POST /folder/list) and from Companion (GET /webdav/list/…, after its WebDAV login).
 * curl rather than node's fetch, which added some 40 ms of its own to the same 2 MB answer here.
 */
async function listingsByCurl({ dav, server, companion, openDav }, n) {
  const timed = (args) => {
    const ms = [];
    for (let i = 0; i < n; i++) {
      const r = spawnSync('curl', ['-sS', '-f', '-o', '/dev/null', '-w', '%{time_total}', ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`curl ${args.at(-1)}: ${r.stderr.trim()}`);
      ms.push(Number(r.stdout) * 1000);
    }
    return median(ms);
  };
  // The properties a folder listing needs (name, size, type, date, folder or not), the ones
  // skiff-server asks for too; an empty PROPFIND would ask for all of them.
  const props = '<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><prop>' +
    '<resourcetype/><getcontentlength/><getcontenttype/><getlastmodified/><displayname/></prop></propfind>';
  const webdav = timed(['-u', 'u:p', '-X', 'PROPFIND', '-H', 'Depth: 1', '-H', 'content-type: application/xml',
    '--data-binary', props, `${dav.url}${FOLDER}/`]);
  const skiff = timed(['-H', 'content-type: application/json', '--data-binary',
    JSON.stringify({ apikey: APIKEY, clouds: { webdav: { path: `/${FOLDER}/` } } }), `${server.url}/folder/list`]);
  const login = await fetch(`${companion.url}/webdav/simple-auth`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ form: { webdavUrl: openDav.url } }),
  }).then((r) => r.json());
  if (!login.uppyAuthToken) throw new Error(`Companion's WebDAV login: ${JSON.stringify(login)}`);
  const uppy = timed(['-H', `uppy-auth-token: ${login.uppyAuthToken}`, `${companion.url}/webdav/list/${encodeURIComponent(`/${FOLDER}`)}`]);
  return { webdav, skiff, uppy };
}

/** Opens the page in a fresh context; { context, page, console, info } once folderBench is ready. */
const openPage = (browser, url) => openBenchPage(browser, url, { global: 'folderBench', SetupError });

/** Opens the picker at the WebDAV root; returns the folder's locator once it is shown. */
async function openAtRoot(page, id, cfg) {
  const opened = await page.evaluate(({ id, cfg }) => window.folderBench.open(id, cfg), { id, cfg });
  if (!opened.ok) throw new Error(`opening the picker: ${opened.error}`);
  let folder;
  if (id === 'skiff') {
    folder = page.locator(`.skiff-item[data-path="/${FOLDER}/"]`);
  } else {
    // Uppy: its WebDAV tab, then the URL of the WebDAV server in its form, as a person would.
    await page.locator('[data-uppy-acquirer-id="WebDav"] button').click({ timeout: 15_000 });
    await page.locator('.uppy-SearchProvider-input').fill(cfg.webdavUrl, { timeout: 15_000 });
    await page.locator('.uppy-SearchProvider-searchButton').click();
    folder = page.locator('.uppy-ProviderBrowserItem')
      .filter({ has: page.locator('.uppy-truncate-text', { hasText: new RegExp(`^${FOLDER}$`) }) })
      .locator('button.uppy-ProviderBrowserItem-inner');
  }
  await folder.waitFor({ state: 'visible', timeout: 30_000 });
  return folder;
}

/** One round of one contender in a fresh page. */
async function runRound(browser, url, id, cfg) {
  const tab = await openPage(browser, url);
  const { page } = tab;
  try {
    if (!tab.info[id].available) return { unavailable: tab.info[id].reason };
    const folder = await openAtRoot(page, id, cfg);
    await page.evaluate(() => window.folderBench.quiet(300));
    await sleep(SETTLE_MS);

    await page.evaluate(({ id, prefix }) => window.folderBench.armFirstRows(id, prefix), { id, prefix: FILE_PREFIX });
    await folder.click();
    const first = await page.evaluate(() => window.folderBench.firstRows());
    if (!first.ok) return { error: `first rows: ${first.error}`, console: tab.console };
    // The rest of the folder's rendering, then its long tasks (details only).
    const settled = await page.evaluate(() => window.folderBench.quiet(300).then((ok) => ({ ok, t: performance.now() })));
    const openTasks = await page.evaluate(({ a, b }) => window.folderBench.longTasksBetween(a, b), { a: first.t0, b: settled.t });
    openTasks.settleMs = settled.t - first.t0 - 300;

    const grid = await page.evaluate((id) => window.folderBench.toGrid(id), id);
    if (!grid.ok) return { first, openTasks, error: `grid: ${grid.error}`, console: tab.console };
    await page.evaluate(() => window.folderBench.quiet(300));
    await sleep(SETTLE_MS);
    const scroll = await page.evaluate(({ id, opts }) => window.folderBench.scrollAll(id, opts),
      { id, opts: { step: STEP_PX, moreMs: MORE_MS, lastName: LAST, maxMs: SCROLL_MAX_MS } });
    if (!scroll.ok) return { first, openTasks, grid, error: `scroll: ${scroll.error}`, console: tab.console };
    if (!scroll.reached) return { first, openTasks, grid, scroll, error: `scroll: the last item (${LAST}) was not shown at the end`, console: tab.console };
    return { first, openTasks, grid, scroll, console: tab.console };
  } catch (e) {
    return { error: e.message.split('\n')[0], console: tab.console };
  } finally {
    await tab.context.close().catch(() => {});
  }
}

async function main() {
  const started = Date.now();
  const chromium = await playwrightChromium(CHROMIUM, SetupError);
  if (!existsSync(join(COMPANION_PREFIX, 'node_modules', '@uppy', 'companion'))) throw new SetupError('@uppy/companion is not in .cache/companion: run scripts/bench-folder.sh');
  const bundle = await ensureFolderUppyBundle().catch((e) => { throw new SetupError(`the Uppy bundle: ${e.message}`); });
  log(`Uppy bundle ${bundle.built ? 'built' : 'up to date'}`);

  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-folder-'));
  const snapshot = join(dir, 'dist');
  const stops = [];
  try {
    // dist/ may be rebuilt by someone else while this runs: measure one fixed copy.
    snapshotDist(DIST, snapshot);
    const distBuilt = builtAt(join(DIST, 'index.js'));
    log(`writing ${ITEMS} files`);
    const tree = makeTree(dir);
    let dav, openDav, server, companion, site, browser;
    try {
      dav = await startWebdav(tree, { user: 'u', pass: 'p' });
      stops.push(() => dav.stop());
      openDav = await startWebdav(tree, { user: null });
      stops.push(() => openDav.stop());
      const page = join(dir, 'index.html');
      writeFileSync(page, PAGE);
      // /bench/ is the whole of bench/: folder-page.js imports ../browser/page-frames.js.
      site = await startStaticServer({
        page,
        folders: { '/dist/': snapshot, '/uppy/': bundle.dir, '/bench/': join(REPO_ROOT, 'bench') },
      });
      stops.push(() => site.stop());
      const config = join(dir, 'skiff.toml');
      writeFileSync(config, [
        '[[apps]]', `key = "${APIKEY}"`, `allowed_origins = ["${site.url}"]`,
        '[sources.webdav]', `url = "${dav.url}"`, 'username = "u"', 'password = "p"', '',
      ].join('\n'));
      server = await startServer({ name: 'bench-folder', extraArgs: ['--config', config] });
      stops.push(() => server.stop());
      companion = await startCompanion(join(dir, 'companion'));
      stops.push(() => companion.stop());
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
      stops.push(() => browser.close());
    } catch (e) {
      throw e instanceof SetupError ? e : new SetupError(e.message);
    }
    const cfg = { apikey: APIKEY, serverUrl: server.url, companionUrl: companion.url, webdavUrl: openDav.url };
    log(`page ${site.url}, skiff-server ${server.url}, Companion ${companion.url}, Chromium ${browser.version()}`);

    const probe = await openPage(browser, site.url);
    const avail = probe.info;
    const frameMs = await probe.page.evaluate(() => window.folderBench.frameInterval());
    await probe.context.close();
    for (const c of CONTENDERS) {
      if (!avail[c.id].available) throw new SetupError(`${c.label} did not load: ${avail[c.id].reason}`);
    }

    // One untimed listing of the folder through each path first: rclone keeps a folder's listing
    // for a while, and the first round should not be the only one to pay for reading the disk.
    await listingsByCurl({ dav, server, companion, openDav }, 1).catch((e) => { throw new SetupError(`listing the folder: ${e.message}`); });

    const { runs, failures, loadStart, loadEnd } = await alternatingRounds({
      rounds: ROUNDS,
      contenders: CONTENDERS,
      measure: (c) => runRound(browser, site.url, c.id, cfg).catch((e) => ({ error: e.message.split('\n')[0] })),
      line: (c, r) => `${c.label.padEnd(44)} first rows ${f1(r.first.ms).padStart(7)} ms; scroll ${r.scroll.steps} steps, ${r.scroll.count} long tasks, longest ${f1(r.scroll.longest)} ms`,
      log,
      consoleTail: 20,
    });
    const listings = await listingsByCurl({ dav, server, companion, openDav }, 5).catch((e) => ({ error: e.message }));
    const { text, allPass } = report({ started, runs, failures, avail, frameMs, browser, bundle, distBuilt, loadStart, loadEnd, listings });
    console.log(text);
    return allPass ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await Promise.resolve().then(stop).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One text per round that had long tasks: "round N: a, b, … and K more" (at most 10 shown). */
function taskLines(perRound, fmt) {
  return perRound.map((ts, i) => {
    if (!ts?.length) return null;
    return `round ${i + 1}: ${ts.slice(0, 10).map(fmt).join(', ')}${ts.length > 10 ? ` and ${ts.length - 10} more` : ''}`;
  }).filter(Boolean);
}

function report({ started, runs, failures, avail, frameMs, browser, bundle, distBuilt, loadStart, loadEnd, listings }) {
  const st = {};
  for (const c of CONTENDERS) {
    const firsts = runs[c.id].filter((r) => r.first).map((r) => r.first);
    const scrolls = runs[c.id].filter((r) => r.scroll?.ok).map((r) => r.scroll);
    const opens = runs[c.id].filter((r) => r.openTasks).map((r) => r.openTasks);
    const grids = runs[c.id].filter((r) => r.grid?.ok).map((r) => r.grid);
    st[c.id] = {
      first: median(firsts.map((x) => x.ms)),
      each: runs[c.id].map((r) => (r.first ? f1(r.first.ms) : 'FAILED')).join(', '),
      dom: median(firsts.map((x) => x.domMs)),
      list: median(firsts.map((x) => x.listMs ?? NaN)),
      afterList: median(firsts.map((x) => (x.listMs == null ? NaN : x.ms - x.listMs))),
      rowsAtPaint: median(firsts.map((x) => x.rowsAtPaint)),
      openCount: median(opens.map((x) => x.count)),
      openLongest: opens.length ? Math.max(...opens.map((x) => x.longest)) : NaN,
      openSettle: median(opens.map((x) => x.settleMs)),
      grid: median(grids.map((x) => x.ms)),
      n: scrolls.length,
      count: median(scrolls.map((x) => x.count)),
      longest: scrolls.length ? Math.max(...scrolls.map((x) => x.longest)) : NaN,
      tbt: median(scrolls.map((x) => x.tbt)),
      steps: median(scrolls.map((x) => x.steps)),
      height: median(scrolls.map((x) => x.height)),
      scrollMs: median(scrolls.map((x) => x.ms)),
      meanFrame: median(scrolls.map((x) => x.meanFrame)),
      worstFrame: scrolls.length ? Math.max(...scrolls.map((x) => x.worstFrame)) : NaN,
      rowsEnd: median(scrolls.map((x) => x.rowsInDom)),
      grew: median(scrolls.map((x) => x.grew)),
      scrollTasks: taskLines(runs[c.id].map((r) => r.scroll?.tasks), (t) => `${t.duration} ms at ${(t.at / 1000).toFixed(1)} s`),
      openTasks: taskLines(runs[c.id].map((r) => r.openTasks?.tasks), (t) => `${t.duration} ms at ${t.at} ms`),
    };
  }
  const S = st.skiff;
  const U = st.uppy;
  const ratio = (s, u) => (Number.isFinite(s) && Number.isFinite(u) && u > 0 ? `${f2(s / u)}×` : '–');
  const rclone = spawnSync('rclone', ['version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'rclone';
  const items = ITEMS.toLocaleString('en-US');

  const out = [];
  const p = (s = '') => out.push(s);
  p(`## Big WebDAV folder: ${items} files, Skiff's picker vs Uppy's`);
  p();
  p(machineLine(loadStart, loadEnd));
  p(`- Chromium ${browser.version()} headless (${CHROMIUM}), playwright-core, viewport 1280×720, frames every ${f1(frameMs)} ms; node ${process.version}`);
  p(`- Skiff ${avail.skiff.version ?? '?'} at ${checkout()}, dist/ built ${distBuilt ?? '–'} (a snapshot taken at the start), on skiff-server (release) with \`[sources.webdav]\``);
  p(`- Uppy: ${Object.entries(bundle.versions).filter(([k]) => k !== 'esbuild').map(([k, v]) => `${k} ${v}`).join(', ')} (esbuild bundle) through @uppy/companion 6.2.2; WebDAV: ${rclone} serving one tree of ${items} files of 16 bytes in /${FOLDER}/ (two servers: with credentials for skiff-server, without for Companion)`);
  p(`- ${ROUNDS} rounds, contender order alternating; per round and contender a fresh browser context, the picker opened at the WebDAV root, then a click on /${FOLDER}/ (list layout), then the grid scrolled top to bottom ${STEP_PX} px per painted frame`);
  p();
  p('| contender | click → first rows painted ms (median) | vs Uppy | long tasks while scrolling the grid (median) | longest long task ms (all rounds) | total blocking time ms (median) | vs Uppy |');
  p('|---|---:|---:|---:|---:|---:|---:|');
  for (const c of CONTENDERS) {
    const s = st[c.id];
    p(`| ${c.label} | **${f1(s.first)}** | ${ratio(s.first, U.first)} | ${Number.isFinite(s.count) ? s.count : '–'} | ${s.n ? f1(s.longest) : '–'} | ${f1(s.tbt)} | ${ratio(s.tbt, U.tbt)} |`);
  }
  p();
  const targets = [
    { name: 'Skiff faster than Uppy to first rows', value: `${f1(S.first)} ms vs ${f1(U.first)} ms (${ratio(S.first, U.first)})`, pass: S.first < U.first },
    { name: 'Skiff first rows < 100 ms', value: `${f1(S.first)} ms`, pass: S.first < 100 },
    { name: 'no Skiff long task > 50 ms while scrolling the grid', value: S.n ? `longest ${f1(S.longest)} ms; ${S.count} tasks (median)` : 'no scroll completed', pass: S.n === ROUNDS && S.longest <= 50 },
  ];
  out.push(...targetsTable(targets));
  p('### Details');
  p();
  p('| contender | first rows, each round ms | click → first row in the DOM ms | click → listing answered ms | listing answered → first rows painted ms | rows in the DOM at first paint | long tasks until the folder is rendered (median count / longest ms) | folder rendered ms | list → grid painted ms | scroll: steps / height px / ms | frame interval while scrolling: mean / worst ms | rows in the DOM at the end |');
  p('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of CONTENDERS) {
    const s = st[c.id];
    p(`| ${c.label} | ${s.each} | ${f1(s.dom)} | ${f1(s.list)} | ${f1(s.afterList)} | ${Number.isFinite(s.rowsAtPaint) ? s.rowsAtPaint : '–'} | ${Number.isFinite(s.openCount) ? s.openCount : '–'} / ${f1(s.openLongest)} | ${f1(s.openSettle)} | ${f1(s.grid)} | ${s.n ? `${s.steps} / ${s.height} / ${f1(s.scrollMs)}` : '–'} | ${f1(s.meanFrame)} / ${f1(s.worstFrame)} | ${Number.isFinite(s.rowsEnd) ? s.rowsEnd : '–'} |`);
  }
  p();
  if (listings.error) {
    p(`For scale, the listing fetched by curl: failed (${listings.error}).`);
  } else {
    p(`For scale, the folder's listing fetched by curl without a browser (median of 5, after the rounds): straight from rclone (PROPFIND, Depth: 1) ${f1(listings.webdav)} ms; from skiff-server (POST /folder/list) ${f1(listings.skiff)} ms; from Companion (GET /webdav/list/…) ${f1(listings.uppy)} ms. No picker can show the folder sooner than its listing arrives.`);
  }
  p();
  for (const c of CONTENDERS) {
    const s = st[c.id];
    if (s.openTasks.length) p(`- long tasks of ${c.label} while opening the folder (duration, and when after the click): ${s.openTasks.join('; ')}.`);
    if (s.scrollTasks.length) p(`- long tasks of ${c.label} while scrolling (duration, and when into the scroll): ${s.scrollTasks.join('; ')}.`);
  }
  p();
  p('Notes:');
  p('- first rows painted: from the click event\'s timeStamp to two animation frames after the first row of the folder entered the DOM (MutationObserver), i.e. once the frame drawing it was produced; up to one frame (' + f1(frameMs) + ' ms) more than the paint itself. "listing answered" is the Resource Timing responseEnd of the folder\'s listing request (Skiff `POST /folder/list` to skiff-server, Uppy `GET /webdav/list/…` to Companion).');
  p('- "folder rendered": from the click until the DOM stopped changing (no mutation for 300 ms), less those 300 ms; its long tasks are those that started in that span.');
  p('- long tasks: PerformanceObserver `longtask` (buffered), tasks of 50 ms or more that started while scrolling; total blocking time = Σ (duration − 50 ms). Scrolling sets the scroll container\'s scrollTop, then waits for the next animation frame and a task after it; at the end it waits ' + `${MORE_MS}` + ' ms for more items and goes on if the content grew.');
  p('- Uppy opens its WebDAV folders in the list layout (@uppy/webdav has no grid switch); for the scroll its ProviderView is set to Uppy\'s own grid layout (`viewType: \'grid\'`, the one its image-search plugins use). Skiff switches with its "Grid view" button.');
  p();
  return finishReport(out, { targets, failures, started });
}

runMain('bench-folder', main);
