// What the benchmarks that put Skiff's picker and Uppy's side by side in one headless Chromium
// (picker-open.bench.mjs, ../cloud/folder.bench.mjs) do alike: the page both contenders load, a
// fresh page for each round, rounds with the contender order alternating, and the report's lines
// about the machine and the checkout. Each benchmark keeps its own measurements and tables.

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { REPO_ROOT } from './uppy-bundle.mjs';

/**
 * The HTML of a benchmark page: an ordinary page with a heading and a line of text that loads the
 * Uppy bundle (/uppy/uppy.css, /uppy/uppy.js) and then the page module `script`, which loads Skiff.
 * `head` and `body` are extra lines for the head (before the title) and the end of <main>.
 */
export function benchPage({ title, text, script, head = [], body = [] }) {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ...head,
    `<title>${title}</title>`,
    '<link rel="stylesheet" href="/uppy/uppy.css">',
    '<script src="/uppy/uppy.js"></script>',
    `<script type="module" src="${script}"></script>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${title}</h1>`,
    `<p>${text}</p>`,
    ...body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * playwright-core's chromium, once the browser binary is known to be there; a missing binary or
 * package is thrown as a `SetupError` (a setup error, not a measurement).
 */
export async function playwrightChromium(executable, SetupError = Error) {
  if (!existsSync(executable)) throw new SetupError(`${executable} not found: apt-get install chromium (or set CHROMIUM_BIN)`);
  try {
    return (await import('playwright-core')).chromium;
  } catch (e) {
    throw new SetupError(`playwright-core is missing: run npm ci (${e.message})`);
  }
}

/**
 * Opens `url` in a fresh browser context (nothing cached), so every round loads and compiles
 * everything anew, and waits for the page module to define window[global]. Returns
 * { context, page, console, info }: the page's errors, warnings and failed requests as they come (for
 * a failure's diagnosis) and what window[global].ready resolved with. A page that never gets ready
 * throws a `SetupError` with what its console said.
 */
export async function openBenchPage(browser, url, { global, context: contextOptions, SetupError = Error }) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const lines = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') lines.push(`[console.${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.stack || e.message}`));
  page.on('requestfailed', (r) => lines.push(`[requestfailed] ${r.url()}: ${r.failure()?.errorText}`));
  await page.goto(`${url}/`);
  try {
    await page.waitForFunction((name) => window[name] !== undefined, global, { timeout: 20_000 });
  } catch (e) {
    await context.close().catch(() => {});
    throw new SetupError(`the page did not set up window.${global}: ${e.message}\n${lines.join('\n')}`);
  }
  const info = await page.evaluate((name) => window[name].ready, global);
  return { context, page, console: lines, info };
}

/**
 * Measures each contender once a round for `rounds` rounds, the order reversed every other round so
 * that neither always runs first. `measure(c)` gives one run: a result, { error, console } for a
 * failure, or { unavailable: reason } when the contender did not load in that page. Contenders for
 * which `leaveOut(c)` holds are not run at all; with `stopAfterFailure` a contender that failed once
 * is not run again (its later rounds say so). A failure is logged and listed with the last
 * `consoleTail` lines of its page's console; a success is logged as `line(c, result)`. Returns
 * { runs: { [id]: [result, …] }, failures, loadStart, loadEnd } (the 1-minute load average before
 * and after, for the report).
 */
export async function alternatingRounds({ rounds, contenders, measure, line, log, leaveOut = () => false, stopAfterFailure = false, consoleTail = Infinity }) {
  const runs = Object.fromEntries(contenders.map((c) => [c.id, []]));
  const failures = [];
  const loadStart = loadavg()[0];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...contenders].reverse() : contenders;
    for (const c of order) {
      if (leaveOut(c)) continue;
      if (stopAfterFailure && runs[c.id].some((x) => x.error)) { runs[c.id].push({ error: 'skipped after an earlier failure' }); continue; }
      const r = await measure(c);
      if (r.unavailable) { runs[c.id].push({ error: `not available: ${r.unavailable}` }); continue; }
      runs[c.id].push(r);
      if (r.error) {
        failures.push({ contender: c.label, round: round + 1, diag: `${r.error}\n${(r.console ?? []).slice(-consoleTail).join('\n')}` });
        log(`round ${round + 1}: ${c.label} FAILED: ${r.error}`);
        continue;
      }
      log(`round ${round + 1}: ${line(c, r)}`);
    }
  }
  return { runs, failures, loadStart, loadEnd: loadavg()[0] };
}

/** When `file` was last written (ISO 8601), or null when it is not there. */
export const builtAt = (file) => (existsSync(file) ? statSync(file).mtime.toISOString() : null);

/** The checkout measured: its short commit, and whether tracked files were changed since. */
export function checkout() {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout?.trim() ?? '?';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout?.trim() ? ' (+ uncommitted changes)' : '';
  return `${git}${dirty}`;
}

/** The report's line about the machine, with the load average around the rounds. */
export function machineLine(loadStart, loadEnd) {
  return `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), memory ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}; load average (1 min) ${loadStart.toFixed(2)} at the first round, ${loadEnd.toFixed(2)} after the last`;
}

/**
 * Runs a benchmark's `main`, which resolves with the exit status (0 all targets met, 1 one missed or
 * a run failed). Failures of a measurement are caught per round and reported, so anything `main`
 * throws is a setup error: it is printed after `[tag]` and the exit status is 2.
 */
export function runMain(tag, main) {
  main().then((code) => process.exit(code), (err) => {
    console.error(`[${tag}] error:`, err?.stack ?? err);
    process.exit(2);
  });
}
