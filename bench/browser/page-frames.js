// Helpers for the code that runs inside the pages of the side-by-side picker benchmarks
// (picker-page.js, ../cloud/folder-page.js); a browser module, not for node. picker-site.mjs serves
// it next to picker-page.js, and the big-folder page imports it from bench/browser/.

/** Resolves once the next frame has been produced: a rAF callback, then a task after it. */
export const nextPaint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** An error's message, or whatever was thrown as text. */
export const describe = (e) => (e && e.message ? e.message : String(e));

/** The median ms between `n` + 1 consecutive animation frames: the display rate rAF runs at here. */
export async function frameInterval(n = 30) {
  const ts = [];
  await new Promise((resolve) => {
    const tick = (t) => { ts.push(t); if (ts.length > n) resolve(); else requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const d = ts.slice(1).map((t, i) => t - ts[i]).sort((a, b) => a - b);
  return d[d.length >> 1];
}
