// Part hashing throughput of the hashing worker's MD5 module (dist/skiff_hash_bg.wasm, as shipped:
// release profile, wasm-opt), in Node's V8 (the engine of Chromium's workers):
//
//   scalar   Md5Stream (the md-5 crate), one part at a time: the anchor
//   4 lanes  Md5Lanes, the multi-buffer MD5 over WebAssembly SIMD, four parts side by side
//   ...      the same in the module without SIMD (dist/skiff_hash_scalar_bg.wasm, what browsers
//            without WebAssembly SIMD load), when it is there
//
// Each run hashes BENCH_PARTS (4) random parts of BENCH_PART_MIB (8) MiB, fed in the worker's
// 256 KiB pieces (each piece copied into wasm memory, as the worker does), and checks every
// digest against Node's crypto. BENCH_ROUNDS (7) rounds, the contenders alternating; the table
// shows each one's median MiB/s (all parts' bytes over the time) and its ratio to the scalar
// anchor of the same run. One core: the machine's other work shows as noise, hence the medians.
//
//   node bench/hash-simd.bench.mjs [DIST]      (DIST: dist; `bash scripts/build-wasm.sh` first)
//
// Target (issue 15): 4 lanes ≥ 2 × the scalar anchor; exit status 1 when missed.

import { readFileSync, existsSync } from 'node:fs';
import { createHash, randomFillSync } from 'node:crypto';
import { join, resolve } from 'node:path';

const DIST = resolve(process.argv[2] ?? 'dist');
const PARTS = Number(process.env.BENCH_PARTS ?? 4);
const PART = Number(process.env.BENCH_PART_MIB ?? 8) * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PIECE = 256 * 1024;
const TARGET = 2;

const glue = await import(join(DIST, 'skiff_hash.js'));

/** A module's exports, instantiated from `file` in DIST (the glue is the same for both builds). */
async function load(file) {
  // The glue keeps one instance at a time: a fresh copy of it per module.
  const fresh = await import(`${join(DIST, 'skiff_hash.js')}?${file}`);
  await fresh.default({ module_or_path: readFileSync(join(DIST, file)) });
  return fresh;
}

const parts = Array.from({ length: PARTS }, () => randomFillSync(new Uint8Array(PART)));
const want = parts.map((p) => createHash('md5').update(p).digest('hex'));
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const empty = new Uint8Array(0);

function scalar(m) {
  const out = [];
  for (const part of parts) {
    const h = new m.Md5Stream();
    for (let at = 0; at < part.length; at += PIECE) h.update(part.subarray(at, at + PIECE));
    out.push(hex(h.finish()));
    h.free();
  }
  return out;
}

function lanes(m) {
  const out = [];
  for (let first = 0; first < parts.length; first += 4) {
    const group = parts.slice(first, first + 4);
    const h = new m.Md5Lanes();
    const longest = Math.max(...group.map((p) => p.length));
    for (let at = 0; at < longest; at += PIECE) {
      const [a, b, c, d] = [0, 1, 2, 3].map((l) => group[l]?.subarray(at, at + PIECE) ?? empty);
      h.update(a, b, c, d);
    }
    group.forEach((_, lane) => out.push(hex(h.finish(lane))));
    h.free();
  }
  return out;
}

const contenders = [{ name: 'scalar (Md5Stream), SIMD build', module: 'skiff_hash_bg.wasm', run: scalar, anchor: true },
  { name: '4 lanes (Md5Lanes), SIMD build', module: 'skiff_hash_bg.wasm', run: lanes }];
if (existsSync(join(DIST, 'skiff_hash_scalar_bg.wasm'))) {
  contenders.push({ name: 'scalar (Md5Stream), no-SIMD build', module: 'skiff_hash_scalar_bg.wasm', run: scalar },
    { name: '4 lanes (Md5Lanes), no-SIMD build', module: 'skiff_hash_scalar_bg.wasm', run: lanes });
}
for (const c of contenders) {
  c.m = await load(c.module);
  c.rates = [];
  c.ratios = [];
  // Warm up (V8 tiers the module up) and check the digests.
  const got = c.run(c.m);
  if (got.join() !== want.join()) throw new Error(`${c.name}: wrong digests ${got} (want ${want})`);
}
void glue;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const MiB = PARTS * PART / (1024 * 1024);
for (let r = 0; r < ROUNDS; r++) {
  const anchor = contenders.find((c) => c.anchor);
  const round = new Map();
  for (const c of contenders) {
    const t0 = process.hrtime.bigint();
    c.run(c.m);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    round.set(c, MiB / s);
    c.rates.push(MiB / s);
  }
  for (const c of contenders) c.ratios.push(round.get(c) / round.get(anchor));
}

console.log(`MD5 of ${PARTS} × ${PART / 1024 / 1024} MiB parts in ${PIECE / 1024} KiB pieces, ${ROUNDS} rounds, Node ${process.version}`);
console.log(`${'contender'.padEnd(38)}${'median MiB/s'.padStart(14)}${'min..max'.padStart(14)}${'× scalar'.padStart(10)}`);
for (const c of contenders) {
  const range = `${Math.min(...c.rates).toFixed(0)}..${Math.max(...c.rates).toFixed(0)}`;
  console.log(`${c.name.padEnd(38)}${median(c.rates).toFixed(0).padStart(14)}${range.padStart(14)}${median(c.ratios).toFixed(2).padStart(10)}`);
}
const ratio = median(contenders[1].ratios);
const ok = ratio >= TARGET;
console.log(`target: 4 lanes ≥ ${TARGET} × scalar: ${ratio.toFixed(2)} × — ${ok ? 'met' : 'MISSED'}`);
process.exitCode = ok ? 0 : 1;
