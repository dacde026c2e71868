// The benchmark's uploads on skiff-server: the SHA-256 of the stored bytes, and deleting a file.

import { createHash } from 'node:crypto';
import { APIKEY } from './config.mjs';

export async function sha256OfUrl(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body) { h.update(chunk); size += chunk.length; }
  return { size, sha256: h.digest('hex') };
}

/** DELETE /api/file/{handle}?key=: after every run, so no run pays for the previous one's file. */
export async function deleteFile(serverUrl, handle) {
  const r = await fetch(`${serverUrl}/api/file/${handle}?key=${APIKEY}`, { method: 'DELETE' });
  if (!r.ok) throw new Error(`DELETE ${handle}: ${r.status} ${await r.text()}`);
}
