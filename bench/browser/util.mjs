// Small helpers of the browser benchmark: progress on stderr, sleep, median and number formatting.

import { MiB } from './config.mjs';

export const log = (...a) => console.error('[bench-browser]', ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
export const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
export const mib = (bytes) => `${(bytes / MiB).toFixed(0)} MiB`;

/** The markdown lines of a targets block: `targets` is [{ name, value, pass }]. */
export function targetsTable(targets) {
  return [
    '### Targets',
    '',
    '| target | measured | result |',
    '|---|---:|---|',
    ...targets.map((t) => `| ${t.name} | ${t.value} | ${t.pass ? 'PASS' : 'FAIL'} |`),
    '',
  ];
}
