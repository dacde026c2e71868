// The hashing worker's MD5 module as built (dist/skiff_hash_bg.wasm with WebAssembly SIMD, and
// dist/skiff_hash_scalar_bg.wasm without it, one glue for both), in Node's V8 against Node's
// crypto: Md5Lanes (four messages side by side) on many random sizes, lanes of different lengths,
// block and padding edges, random piece sizes, lanes finished and refilled while the others go
// on; and Md5Stream. The native tests in crates/hash check the same logic over plain arrays; this
// runs the SIMD instructions themselves.
//
// Run: bash scripts/build-wasm.sh && node --test tests/wasm/hash-lanes.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const DIST = new URL('../../dist/', import.meta.url);
const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const EMPTY = new Uint8Array(0);

/** The glue instantiated with `wasm` (a fresh copy of the glue per module: it keeps one instance). */
async function load(wasm) {
  const glue = await import(`${new URL('skiff_hash.js', DIST)}?${wasm}`);
  await glue.default({ module_or_path: await readFile(fileURLToPath(new URL(wasm, DIST))) });
  return glue;
}

/** A seeded xorshift: the same cases every run. */
function random(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
  return {
    below: (n) => next() % n,
    bytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}

const EDGES = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129];

for (const wasm of ['skiff_hash_bg.wasm', 'skiff_hash_scalar_bg.wasm']) {
  test(`${wasm}: Md5Lanes, lanes of different lengths fed in random pieces`, async () => {
    const { Md5Lanes } = await load(wasm);
    const rnd = random(15);
    const h = new Md5Lanes();
    for (let round = 0; round < 150; round++) {
      // Padding and block edges, small and large random sizes, and parts of one size with a
      // shorter last one (the uploader's case).
      const part = rnd.below(300_000);
      const sizes = [0, 1, 2, 3].map(() => [
        () => EDGES[rnd.below(EDGES.length)], () => rnd.below(5_000), () => rnd.below(600_000), () => part,
      ][round % 4 === 3 ? 3 : rnd.below(4)]());
      const data = sizes.map((n) => rnd.bytes(n));
      const at = [0, 0, 0, 0];
      while (at.some((a, l) => a < sizes[l])) {
        const pieces = data.map((d, l) => {
          const take = Math.min(sizes[l] - at[l], [0, rnd.below(70), rnd.below(300_000), 262_144][rnd.below(4)]);
          at[l] += take;
          return d.subarray(at[l] - take, at[l]);
        });
        h.update(...pieces);
      }
      for (let l = 0; l < 4; l++) assert.equal(hex(h.finish(l)), md5(data[l]), `round ${round}, lane ${l} of ${sizes}`);
    }
    h.free();
  });

  test(`${wasm}: Md5Lanes, a lane finished and refilled while the others go on`, async () => {
    const { Md5Lanes } = await load(wasm);
    const rnd = random(16);
    const h = new Md5Lanes();
    const long = [rnd.bytes(3_000_001), rnd.bytes(2_500_000), rnd.bytes(2_999_999)];
    const shorts = Array.from({ length: 20 }, (_, i) => rnd.bytes(EDGES[i % EDGES.length] + rnd.below(150_000)));
    let at = 0;
    for (const short of shorts) {
      // Lanes 0, 2 and 3 carry long messages; lane 1 hashes one short one after another.
      const [a, b, c] = long.map((d) => d.subarray(at, at + 100_000));
      h.update(a, short, b, c);
      at += 100_000;
      assert.equal(hex(h.finish(1)), md5(short));
    }
    h.update(long[0].subarray(at), EMPTY, long[1].subarray(at), long[2].subarray(at));
    assert.deepEqual([0, 2, 3].map((l) => hex(h.finish(l))), long.map(md5));
    h.free();
  });

  test(`${wasm}: Md5Stream, random sizes in random pieces`, async () => {
    const { Md5Stream } = await load(wasm);
    const rnd = random(17);
    const h = new Md5Stream();
    for (let round = 0; round < 60; round++) {
      const data = rnd.bytes(round < EDGES.length ? EDGES[round] : rnd.below(700_000));
      for (let at = 0; at < data.length;) {
        const take = 1 + rnd.below(300_000);
        h.update(data.subarray(at, at + take));
        at += take;
      }
      assert.equal(hex(h.finish()), md5(data), `${data.length} bytes`);
    }
    h.free();
  });
}
