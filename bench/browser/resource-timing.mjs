// What the page's Resource Timing entries of one run say: PUTs, /multipart/upload and commit
// calls, PUTs in flight, and the gaps before the first PUT, the third (when the default three
// slots are all on the wire) and after the last.

/** resources: [{ path, start, end }] (ms from the upload call); ms: the run's time. Null without PUTs. */
export function analyse(resources, ms) {
  // skiff-server's part URL: one for every part (/multipart/part), or one per upload before.
  const puts = resources.filter((r) => r.path === '/multipart/part' || r.path.startsWith('/multipart/part/'));
  const calls = (p) => resources.filter((r) => r.path === p).length;
  const ups = resources.filter((r) => r.path === '/multipart/upload');
  if (puts.length === 0) return null;
  const putSum = puts.reduce((a, r) => a + (r.end - r.start), 0);
  // Time during which at least one PUT was in flight.
  const iv = puts.map((r) => [r.start, r.end]).sort((a, b) => a[0] - b[0]);
  let busy = 0, cs = iv[0][0], ce = iv[0][1];
  for (const [s, e] of iv.slice(1)) {
    if (s > ce) { busy += ce - cs; cs = s; ce = e; } else ce = Math.max(ce, e);
  }
  busy += ce - cs;
  const starts = puts.map((r) => r.start).sort((a, b) => a - b);
  const firstPut = starts[0];
  const lastPut = Math.max(...puts.map((r) => r.end));
  return {
    puts: puts.length,
    uploads: calls('/multipart/upload'),
    commits: calls('/multipart/commit'),
    completes: calls('/multipart/complete'),
    inflight: putSum / ms,
    busyShare: busy / ms,
    toFirstPut: firstPut,
    toThirdPut: starts[2] ?? NaN,
    afterLastPut: ms - lastPut,
    meanPutMs: putSum / puts.length,
    meanUploadMs: ups.length ? ups.reduce((a, r) => a + (r.end - r.start), 0) / ups.length : NaN,
  };
}
