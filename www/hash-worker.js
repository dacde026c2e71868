// The uploader's part hashing, off the page's thread (a module Worker that dist/index.js starts
// on the first part to hash). Each message asks for the MD5 of one range of a Blob or File:
//
//   → { id, blob, start, end }      ← { id, md5 } (base64 of the raw digest) or { id, error }
//
// Ranges are hashed one at a time, in the order asked. Each is read from the Blob's byte stream
// into one buffer that is handed back and forth with the stream (a BYOB reader), so hashing a
// 2 GiB file leaves no trail of per-piece ArrayBuffers for the garbage collector; where a
// browser offers no BYOB reader on Blob streams, its own pieces are hashed as they come.
// The MD5 itself is a small WebAssembly module of its own (crates/hash), loaded on first use
// from next to this file.

import init, { Md5Stream } from './skiff_hash.js';

/** Bytes read into the buffer at a time. */
const PIECE = 256 * 1024;

let ready;
let spare = new ArrayBuffer(PIECE);
let queue = Promise.resolve();

/** Feeds `stream` to `h` through the one reused buffer; the bytes read. */
async function feedByob(stream, h) {
  const reader = stream.getReader({ mode: 'byob' });
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(spare, 0, PIECE));
    // The buffer comes back (detached from the view that was passed) with each read.
    if (value) spare = value.buffer;
    if (done) return total;
    h.update(value);
    total += value.byteLength;
  }
}

/** Feeds `stream` to `h` in the pieces the browser hands out; the bytes read. */
async function feedPieces(stream, h) {
  const reader = stream.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return total;
    h.update(value);
    total += value.byteLength;
  }
}

async function md5(blob, start, end) {
  await (ready ??= init());
  const h = new Md5Stream();
  try {
    const stream = blob.slice(start, end).stream();
    let byob = true;
    try {
      // Probing costs nothing: a stream that is not a byte stream refuses at once.
      stream.getReader({ mode: 'byob' }).releaseLock();
    } catch {
      byob = false;
    }
    const read = byob ? await feedByob(stream, h) : await feedPieces(stream, h);
    if (read !== end - start) {
      throw new Error(`asked for ${end - start} bytes at offset ${start}, got ${read} (did the file change?)`);
    }
    let text = '';
    for (const b of h.finish()) text += String.fromCharCode(b);
    return btoa(text);
  } finally {
    h.free();
  }
}

self.onmessage = ({ data }) => {
  const { id, blob, start, end } = data;
  queue = queue
    .then(() => md5(blob, start, end))
    .then(
      (digest) => self.postMessage({ id, md5: digest }),
      (e) => self.postMessage({ id, error: String(e?.message ?? e) }),
    );
};
