// The axe-core audit the picker's end-to-end tests run (node_modules/axe-core, loaded into the
// page on first use).
//
//   audit(page, selector)              the violations inside `selector`, summarized
//   assertNoViolations(violations, what)  fails with each violation's rule, help and nodes

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT } from './server.mjs';

const AXE = join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js');

export async function audit(page, include) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async (sel) => {
    const r = await window.axe.run({ include: [sel] }, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  }, include);
}

export function assertNoViolations(violations, what) {
  if (violations.length) console.error(`[axe] ${what}:\n${JSON.stringify(violations, null, 2)}`);
  assert.deepEqual(violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.join(' | ')}`), [], `axe violations in ${what}`);
}
