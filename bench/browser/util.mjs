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

/**
 * Ends a report whose markdown lines are `out`: adds the failed runs with their diagnosis
 * (`failures` is [{ contender, round, diag }]) and the result line with the run's time since
 * `started` (Date.now()). Returns { text, allPass }: allPass when every target was met and no run
 * failed.
 */
export function finishReport(out, { targets, failures, started }) {
  const allPass = targets.every((t) => t.pass) && failures.length === 0;
  if (failures.length) {
    out.push('### Failures', '');
    for (const f of failures) out.push(`- ${f.contender}, round ${f.round}:\n\n\`\`\`\n${f.diag}\n\`\`\``);
    out.push('');
  }
  out.push(`Result: ${allPass ? 'all targets met' : 'TARGET MISSED or a run failed'} (${((Date.now() - started) / 1000).toFixed(0)} s).`);
  return { text: out.join('\n'), allPass };
}
