// Files made in a test page, loaded by every test page (page.html, skiff-page.html) from
// /page-files.js (static.mjs). A classic script: it runs before the pages' own scripts.
'use strict';

// Files generated in the page, by id (a File cannot cross page.evaluate).
window.skiffFiles = {};

/** Lower-case hex of an ArrayBuffer (a digest). */
window.skiffHex = function (buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
};

/** A random File of `size` bytes (crypto.getRandomValues in 64 KiB slices) and its SHA-256. */
window.skiffRandomFile = async function (id, size, name, type) {
  const bytes = new Uint8Array(size);
  for (let off = 0; off < size; off += 65536) {
    crypto.getRandomValues(bytes.subarray(off, Math.min(size, off + 65536)));
  }
  const sha256 = window.skiffHex(await crypto.subtle.digest('SHA-256', bytes));
  window.skiffFiles[id] = new File([bytes], name, { type });
  return { size, sha256 };
};

/**
 * A File whose bytes follow from `seed` (the same on every page load) and whose lastModified is
 * given, so that a page reloaded can pick "the same file" again.
 */
window.skiffSeededFile = async function (id, size, name, type, seed, lastModified) {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    bytes[i] = x & 0xff;
  }
  const sha256 = window.skiffHex(await crypto.subtle.digest('SHA-256', bytes));
  window.skiffFiles[id] = new File([bytes], name, { type, lastModified });
  return { size, sha256 };
};
