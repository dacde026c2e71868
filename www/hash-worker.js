// The uploader's part hashing, off the page's thread (a module Worker that dist/index.js starts
// on the first part to hash). Each message asks for the MD5s of ranges of Blobs or Files (those
// the page asked for in one turn), and each range is answered on its own:
//
//   → [{ id, blob, start, end, pace }, …] ← { id, md5 } (base64 of the raw digest) or { id, error }
//   → 'hurry'                             (every range held goes at full speed from now on)
//
// `pace`: at most that many bytes per millisecond (0: as fast as it can). The uploader paces the
// parts no call waits for to a little above the upload's speed, so that hashing is spread over
// the upload instead of taking a CPU in bursts (`src/upload/hash_pace.rs`); ranges hashed side
// by side go at the fastest pace among them, or at full speed if any of them must.
//
// One range waiting alone is hashed by itself (Md5Stream). When several wait, up to four are
// hashed side by side (Md5Lanes: a multi-buffer MD5 over WebAssembly SIMD, about twice the bytes
// per second of one range alone): each is read piece by piece in lockstep with the others, a lane
// that finishes answers at once and takes the next range waiting. A failed range answers its own
// error; the others go on. Answers may come in another order than the requests.
//
// Each range is read from the Blob's stream with its default reader, the pieces hashed as they
// come, and the worker has V8 collect the pieces it is done with every few MiB (`collectPieces`).
// A BYOB reader into one buffer per lane would need no collection (hashing 2 GiB grew the
// renderer by about 100 MiB with it, and it read 600-660 MiB/s against 450), but in Chromium it
// stalls: a BYOB read of a large Blob now and then never settled (8 uploads of 256 MiB in one
// page: the 5th waited for its digest for ever; with one range at a time, the 8th in one run of
// two), and even with such reads given up after 2 s, the page's own reads of the same Blob (the
// PUT bodies) stalled until the uploader's timeout (the 4th upload took 16-28 s in every BYOB
// run, 2 s without). Tried before `collectPieces`, and no better: restarting the worker every
// 64 or 256 MiB (+97, +136 MiB), one arrayBuffer() per range (as much as the default reader),
// detaching a piece once hashed (`buffer.transfer(0)`: it hides the piece's bytes from V8, which
// then never collects; 2 GiB grew the renderer by 2.1 GB), FileReaderSync (+136 MiB, and half
// the speed).
//
// The MD5 itself is a small WebAssembly module of its own (crates/hash), loaded on first use from
// next to this file. It is built with SIMD; browsers without WebAssembly SIMD (older than Chrome 91,
// Firefox 89, Safari 16.4) load the same module built without it, which hashes one range at a time.

import init, { Md5Lanes, Md5Stream } from './skiff_hash.js';

/** Ranges hashed side by side: Md5Lanes's lanes. */
const LANES = 4;

/**
 * The most bytes of a range handed to the hasher at once. It copies what it is given into its
 * own memory, which keeps the largest size it ever needed; Chromium's pieces are up to 2 MiB, in
 * four lanes. Hashing 24 MiB grew the renderer by 18 MiB with 256 KiB steps, 63 MiB without.
 */
const STEP = 256 * 1024;

// The smallest module using a SIMD instruction (one function returning i32x4.splat(0)): it
// validates only where WebAssembly SIMD is supported.
const SIMD = WebAssembly.validate(new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // types: () -> v128
  0x03, 0x02, 0x01, 0x00, // functions: one of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0, i32x4.splat, end
]));

/** Bytes that may be hashed at once ahead of the pace (a little more than one 6 MiB part). */
const BURST = 8 * 1024 * 1024;
let tokens = BURST;
let tokensAt = 0;
/** Ends the pace's wait under way early (a hurry); null when none is. */
let endWait = null;

/** Waits, after `bytes` were hashed at `rate` bytes per ms (0: no wait), until the pace allows more. */
async function pace(bytes, rate) {
  const now = performance.now();
  tokens = rate > 0 ? Math.min(BURST, tokens + (now - tokensAt) * rate) - bytes : BURST;
  tokensAt = now;
  if (tokens >= 0) return;
  await new Promise((resolve) => {
    endWait = resolve;
    setTimeout(resolve, -tokens / rate);
  });
  endWait = null;
}

/** The pace of ranges hashed together: the fastest, 0 (full speed) if one has no pace. */
const paceOf = (requests) => (requests.some((r) => !(r.pace > 0)) ? 0 : Math.max(...requests.map((r) => r.pace)));

let ready;
const load = () => (ready ??= init(SIMD ? undefined : { module_or_path: new URL('./skiff_hash_scalar_bg.wasm', import.meta.url) }));

/** Requests not started yet, in the order they came. */
const waiting = [];
/** Requests being hashed. */
const active = new Set();
let running = false;
const EMPTY = new Uint8Array(0);

/**
 * Has V8 free the pieces already hashed. Chromium hands each piece over as an ArrayBuffer whose
 * bytes Blink owns, and those go only in a full collection. V8 starts one by itself once the
 * bytes it counts outside its heap have grown by about 64 MiB since the last; a worker that only
 * hashes makes too little garbage of its own to start one sooner, so the pieces pile up (84 MiB
 * of them mid-hash by Chromium's memory dumps; hashing 2 GiB grew the renderer by 135-145 MiB,
 * and by 350 MiB before young garbage was collected every piece). So every PRESSURE_EVERY bytes
 * read, the worker allocates PRESSURE bytes and drops them at once, unread and unwritten: V8
 * counts them like the pieces and starts the full collection, which frees both. Pages never
 * written cost address space, not memory (the system maps them on the first write; Windows
 * counts them against its commit limit until the collection). 2 GiB then grew the renderer by
 * 70-82 MiB at its peak, at the same speed (175 against 173 MiB/s for 256 MiB); a collection
 * every 2 MiB gave 67-69 MiB, and slower.
 */
const PRESSURE_EVERY = 4 * 1024 * 1024;
const PRESSURE = 64 * 1024 * 1024;
let readSincePressure = 0;
// Module-level, so that the allocation is a store the engine cannot drop as unused.
let pressure;
function collectPieces(bytes) {
  readSincePressure += bytes;
  if (readSincePressure < PRESSURE_EVERY) return;
  readSincePressure = 0;
  try {
    pressure = new ArrayBuffer(PRESSURE);
  } catch {
    // No address space to spare (a 32-bit browser): V8's own pace, then.
  }
  pressure = undefined;
}

/**
 * The pieces of one request's range: `next()` resolves to the next piece, or null once the
 * range has been read in full; it rejects when the bytes cannot be read or are fewer than asked
 * (the file changed). `cancel()` lets the stream go early.
 */
function openRange({ blob, start, end }) {
  const reader = blob.slice(start, end).stream().getReader();
  let read = 0;
  /** What is left of the last piece read, handed out STEP bytes at a time. */
  let rest = EMPTY;
  return {
    async next() {
      if (rest.byteLength === 0) {
        const { done, value } = await reader.read();
        if (done) {
          if (read !== end - start) {
            throw new Error(`asked for ${end - start} bytes at offset ${start}, got ${read} (did the file change?)`);
          }
          return null;
        }
        read += value.byteLength;
        collectPieces(value.byteLength);
        rest = value;
      }
      const piece = rest.subarray(0, STEP);
      rest = rest.subarray(piece.byteLength);
      return piece;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

function base64(digest) {
  let text = '';
  for (const b of digest) text += String.fromCharCode(b);
  return btoa(text);
}

const fail = (id, e) => self.postMessage({ id, error: String(e?.message ?? e) });

/** Hashes one request by itself. */
async function hashOne(request) {
  const h = new Md5Stream();
  active.add(request);
  try {
    const range = openRange(request);
    // Each piece waits for the pace of the one before, so the last one is answered at once.
    let hashed = 0;
    for (let piece; (piece = await range.next()) !== null;) {
      await pace(hashed, paceOf([request]));
      h.update(piece);
      hashed = piece.byteLength;
    }
    self.postMessage({ id: request.id, md5: base64(h.finish()) });
  } catch (e) {
    fail(request.id, e);
  } finally {
    active.delete(request);
    h.free();
  }
}

/**
 * Hashes the waiting requests side by side, one per lane, until none is left: each step reads
 * the next piece of every lane's range, then hashes them in one call.
 */
async function hashInLanes() {
  const h = new Md5Lanes();
  /** The request and its range in each lane, or null where the lane is free. */
  const lanes = new Array(LANES).fill(null);
  try {
    for (;;) {
      for (let l = 0; l < LANES; l++) {
        if (lanes[l] === null && waiting.length > 0) {
          const request = waiting.shift();
          try {
            lanes[l] = { request, range: openRange(request) };
            active.add(request);
          } catch (e) {
            fail(request.id, e);
          }
        }
      }
      if (lanes.every((lane) => lane === null)) return;
      const pieces = await Promise.all(lanes.map((lane) => lane?.range.next().catch((e) => e) ?? EMPTY));
      h.update(...pieces.map((p) => (p instanceof Uint8Array ? p : EMPTY)));
      const bytes = pieces.reduce((n, p) => n + (p instanceof Uint8Array ? p.byteLength : 0), 0);
      const rate = paceOf(lanes.filter((lane) => lane !== null).map((lane) => lane.request));
      for (let l = 0; l < LANES; l++) {
        const piece = pieces[l];
        if (lanes[l] === null || piece instanceof Uint8Array) continue;
        // Read in full (null) or failed: answer, and empty the lane for the next request.
        const digest = h.finish(l);
        if (piece === null) {
          self.postMessage({ id: lanes[l].request.id, md5: base64(digest) });
        } else {
          lanes[l].range.cancel();
          fail(lanes[l].request.id, piece);
        }
        active.delete(lanes[l].request);
        lanes[l] = null;
      }
      // After the answers, so that a range hashed in full is not held back.
      await pace(bytes, rate);
    }
  } catch (e) {
    // Not a read (those fail their own lane): every range under way fails.
    for (const lane of lanes) {
      if (lane === null) continue;
      lane.range.cancel();
      active.delete(lane.request);
      fail(lane.request.id, e);
    }
  } finally {
    h.free();
  }
}

/** Works through the waiting requests; one run at a time. */
async function run() {
  running = true;
  try {
    await load();
    while (waiting.length > 0) {
      await (SIMD && waiting.length > 1 ? hashInLanes() : hashOne(waiting.shift()));
    }
  } catch (e) {
    // The module did not load: every request waiting fails (the next one tries again).
    ready = undefined;
    for (const request of waiting.splice(0)) fail(request.id, e);
  } finally {
    running = false;
  }
}

self.onmessage = ({ data }) => {
  if (data === 'hurry') {
    for (const request of [...waiting, ...active]) request.pace = 0;
    endWait?.();
    return;
  }
  waiting.push(...data);
  if (!running) run();
};
