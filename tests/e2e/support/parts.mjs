// The parts a regular upload asked the server for (its `/multipart/upload` requests, and part 1
// when start's answer signed it), as the end-to-end tests check them.

import assert from 'node:assert/strict';

const MiB = 1024 * 1024;

/**
 * What the browser asked for, from its API exchanges in order: the body of each answered
 * `/multipart/upload`, led by `{ part: 1, size }` where start's answer signed part 1 (`first_part`,
 * a Skiff extension: that part's first try has no call of its own).
 */
export function asksOf(exchanges) {
  const asks = [];
  for (const e of exchanges) {
    if (e.status !== 200) continue;
    if (e.path === '/multipart/start' && e.responseBody?.first_part) asks.push({ part: 1, size: e.requestBody.first_part });
    if (e.path === '/multipart/upload') asks.push(e.requestBody);
  }
  return asks;
}

/**
 * Part sizes of one regular upload of `size` bytes, in part order, from its asks (`{ part, size }`
 * bodies of `/multipart/upload`, in the order they were asked; a part asked for again counts as it
 * was asked last). Asserts the layout every upload keeps: numbered 1..N, adding up to the file,
 * 6 MiB parts until the tail may have been cut again into bigger parts of one size (whole MiB, 12
 * to 64 MiB), which may have been cut back to 6 MiB from one of them on (a link that turned
 * poor), the last one shorter.
 */
export function partSizes(asks, size) {
  const bySize = new Map();
  for (const a of asks) bySize.set(Number(a.part), Number(a.size));
  const parts = [...bySize.keys()].sort((a, b) => a - b);
  assert.deepEqual(parts, parts.map((_, i) => i + 1), 'parts numbered 1..N');
  const sizes = parts.map((n) => bySize.get(n));
  assert.equal(sizes.reduce((a, b) => a + b, 0), size, 'the parts add up to the file');
  const at = grownAt(sizes);
  if (at === sizes.length - 1) {
    assert.ok(sizes[at] <= 64 * MiB, `a grown last part of ${sizes[at]} bytes`);
  } else if (at >= 0) {
    const big = sizes[at];
    assert.ok(big % MiB === 0 && big >= 12 * MiB && big <= 64 * MiB, `a grown part of ${big} bytes`);
    const back = sizes.findIndex((s, i) => i > at && s !== big);
    const grown = back < 0 ? sizes.slice(at, -1) : sizes.slice(at, back);
    assert.ok(grown.every((s) => s === big), `one size from the recut on: ${sizes}`);
    if (back >= 0) {
      assert.ok(sizes.slice(back, -1).every((s) => s === 6 * MiB), `6 MiB parts from the cut back on: ${sizes}`);
    }
  }
  return sizes;
}

/**
 * Index of the first part that grew, or -1 when none did: a part other than the last that is not
 * 6 MiB, or the last one when it is bigger than 6 MiB (the rest of the file recut into a part of
 * up to 64 MiB, which on a fast machine can be all of it: 6 MiB × 8, then 48).
 */
export function grownAt(sizes) {
  const last = sizes.length - 1;
  return sizes.findIndex((s, i) => (i < last ? s !== 6 * MiB : s > 6 * MiB));
}

/** Index of the first 6 MiB part after the grown ones (a cut back), or -1. */
export function cutBackAt(sizes) {
  const at = grownAt(sizes);
  return at < 0 ? -1 : sizes.findIndex((s, i) => i > at && s === 6 * MiB && i < sizes.length - 1);
}

/** Part sizes in MiB, for a test's diagnostics. */
export const shownMiB = (sizes) => sizes.map((s) => (s / MiB).toFixed(1)).join(' ');
