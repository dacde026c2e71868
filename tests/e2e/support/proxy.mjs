// A fault-injecting TCP proxy for the end-to-end tests, on 127.0.0.1 in front of skiff-server.
//
//   const proxy = await startProxy({ name: 'faulty' });       // listens now; target set later
//   const server = await startServer({ extraArgs: ['--public-url', proxy.url] });
//   proxy.setTarget(server.port);
//   proxy.configure({ rate: 2_000_000, lifetimeMs: 1500 });   // faults can change at any time
//
// Faults:
//   rate        bytes per second, shared by every connection and applied to each direction
//               separately (null: unlimited). Bytes are forwarded in small slices at the pace of
//               one virtual link, so concurrent requests share it like they would a slow uplink.
//   lifetimeMs  every TCP connection is destroyed (both sides, no FIN dance) this long after it
//               was accepted, whatever it is doing: keep-alive connections the browser reuses die
//               too, mid-request if need be (null: no limit). A pair [min, max] draws each
//               connection's life at random in that range (resets at random moments).
//   seed        with a [min, max] lifetime: the lives are drawn from a generator seeded with
//               this number, started again by each configure() that names a seed, so that the
//               n-th connection of every run lives as long (clients compared on the same draws).
//   connRate    bytes per second of each connection on its own, each direction (null: unlimited),
//               on top of `rate`: a link where every connection is slow (a congested path, a
//               per-flow shaper) but several in parallel carry more.
//   alterPuts   the next this many PUT bodies each get their first byte flipped on the way to
//               the server (bytes altered in transit, which a client must notice), 0 by default.
//
// The proxy also reads the HTTP/1.1 requests going through (request line, Content-Length) so a
// test can count them and see how far each body got: `requests` lists
// { id, conn, method, path, contentLength, forwarded, bodyDone, at } in arrival order, and
// `connections` lists { id, at, requests, cut, closedAt, upBytes, downBytes }. `log()` renders both.

import { createServer, connect } from 'node:net';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A small seeded generator of numbers in [0, 1) (mulberry32): repeatable draws for a link. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const live = new Set(); // proxies not yet stopped
process.on('exit', () => { for (const p of live) p.destroyAll(); });

/** One direction of the virtual link: reserves transmission time for each slice. */
class Link {
  constructor() { this.rate = null; this.next = 0; }

  /** Waits until `n` more bytes may go out at the current rate. */
  async take(n) {
    if (!this.rate) return;
    const now = performance.now();
    const start = Math.max(now, this.next);
    this.next = start + (n * 1000) / this.rate;
    const wait = this.next - now;
    if (wait >= 1) await sleep(wait);
  }

  /** Slice size: about 10 ms of transmission, 4 KiB to 256 KiB. */
  slice() {
    return this.rate ? Math.max(4096, Math.min(262144, Math.round(this.rate / 100))) : 1 << 20;
  }
}

function waitWritable(sock) {
  return new Promise((resolve) => {
    const done = () => { sock.off('drain', done); sock.off('close', done); resolve(); };
    sock.once('drain', done);
    sock.once('close', done);
  });
}

/** Copies src to dst through `links` (each paces it), calling onBytes(piece) for every slice it forwards. */
async function pump(src, dst, links, onBytes) {
  try {
    for await (const chunk of src) {
      const size = Math.min(...links.map((l) => l.slice()));
      for (let off = 0; off < chunk.length; off += size) {
        const piece = chunk.subarray(off, off + size);
        for (const link of links) await link.take(piece.length);
        if (dst.destroyed || dst.writableEnded) return;
        onBytes(piece);
        if (!dst.write(piece)) await waitWritable(dst);
      }
    }
    if (!dst.destroyed) dst.end();
  } catch {
    dst.destroy();
  }
}

/** Reads HTTP/1.1 request heads and Content-Length bodies out of the client→server bytes. */
function requestReader(onHead) {
  let head = Buffer.alloc(0);
  let current = null; // request whose body is being forwarded
  return (piece) => {
    let buf = piece;
    while (buf.length > 0) {
      if (current) {
        // The piece is forwarded after this reader has seen it: flipping a byte here alters it.
        if (current.alter && current.forwarded === 0) buf[0] ^= 0xff;
        const n = Math.min(buf.length, current.contentLength - current.forwarded);
        current.forwarded += n;
        buf = buf.subarray(n);
        if (current.forwarded >= current.contentLength) { current.bodyDone = true; current = null; }
        continue;
      }
      const before = head.length;
      head = Buffer.concat([head, buf]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 65536) head = Buffer.alloc(0); // not HTTP: stop trying
        return;
      }
      const text = head.subarray(0, end).toString('latin1');
      // The rest of this piece, as a view of it (not of the copy in `head`), so that a flipped
      // byte reaches the server. The head's end was not in the bytes before, so it is in these.
      buf = buf.subarray(end + 4 - before);
      head = Buffer.alloc(0);
      const [line, ...fields] = text.split('\r\n');
      const [method, path] = line.split(' ');
      const lenField = fields.find((f) => /^content-length:/i.test(f));
      const contentLength = lenField ? Number(lenField.split(':')[1].trim()) : 0;
      const req = onHead({ method, path, contentLength, forwarded: 0, bodyDone: contentLength === 0 });
      if (contentLength > 0) current = req;
    }
  };
}

/**
 * Starts the proxy on a free loopback port.
 * @param {{name?: string, targetPort?: number, targetHost?: string, rate?: number|null, connRate?: number|null, lifetimeMs?: number|[number, number]|null}} opts
 */
export async function startProxy(opts = {}) {
  const name = opts.name ?? 'proxy';
  const target = { host: opts.targetHost ?? '127.0.0.1', port: opts.targetPort ?? null };
  const up = new Link(); // browser → server
  const down = new Link(); // server → browser
  let lifetimeMs = null;
  let draw = Math.random;
  let connRate = null;
  let alterPuts = 0;
  const sockets = new Set();
  const connections = [];
  const requests = [];
  const events = [];
  let connSeq = 0;
  let reqSeq = 0;
  const t0 = performance.now();
  const stamp = () => Math.round(performance.now() - t0);
  const note = (line) => {
    events.push(`[${name} +${stamp()}ms] ${line}`);
    if (events.length > 4000) events.splice(0, events.length - 4000);
  };

  const configure = (f = {}) => {
    if ('rate' in f) { up.rate = f.rate ?? null; down.rate = f.rate ?? null; }
    if ('lifetimeMs' in f) lifetimeMs = f.lifetimeMs ?? null;
    if ('seed' in f) draw = f.seed === null || f.seed === undefined ? Math.random : seeded(f.seed);
    if ('connRate' in f) connRate = f.connRate ?? null;
    if ('alterPuts' in f) alterPuts = f.alterPuts ?? 0;
    note(`faults: rate=${up.rate ?? 'unlimited'} B/s, per connection ${connRate ?? 'unlimited'} B/s, lifetime=${lifetimeMs ?? 'unlimited'} ms${'seed' in f ? `, seed ${f.seed}` : ''}${alterPuts ? `, ${alterPuts} PUT(s) to alter` : ''}`);
  };
  configure({ rate: opts.rate ?? null, lifetimeMs: opts.lifetimeMs ?? null, connRate: opts.connRate ?? null });

  const server = createServer({ noDelay: true }, (client) => {
    const conn = { id: ++connSeq, at: stamp(), requests: 0, cut: false, closedAt: null, upBytes: 0, downBytes: 0 };
    connections.push(conn);
    if (!target.port) { note(`conn ${conn.id}: no target yet, refused`); client.destroy(); return; }
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    let timer = null;
    const close = (why) => {
      if (conn.closedAt !== null) return;
      conn.closedAt = stamp();
      clearTimeout(timer);
      const open = requests.filter((r) => r.conn === conn.id && !r.bodyDone);
      const cutting = why === 'lifetime';
      conn.cut = cutting;
      note(`conn ${conn.id} ${cutting ? 'CUT after lifetime' : `closed (${why})`}; ${conn.requests} request(s), ` +
        `${conn.upBytes} B up, ${conn.downBytes} B down` +
        (open.length ? `; body unfinished: ${open.map((r) => `${r.method} ${r.path.slice(0, 40)} ${r.forwarded}/${r.contentLength}`).join(', ')}` : ''));
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    const life = Array.isArray(lifetimeMs) ? lifetimeMs[0] + draw() * (lifetimeMs[1] - lifetimeMs[0]) : lifetimeMs;
    if (life) timer = setTimeout(() => close('lifetime'), life);
    client.on('error', (e) => close(`browser side error: ${e.code ?? e.message}`));
    upstream.on('error', (e) => close(`server side error: ${e.code ?? e.message}`));
    client.on('close', () => close('browser closed'));
    // A clean close by the server: the down pump forwards what is still queued, then ends the
    // browser side (whose 'close' finishes the bookkeeping).
    upstream.on('close', (hadError) => { if (hadError) close('server side error'); });

    const read = requestReader((r) => {
      conn.requests += 1;
      const req = { id: ++reqSeq, conn: conn.id, at: stamp(), ...r };
      if (req.method === 'PUT' && req.contentLength > 0 && alterPuts > 0) {
        alterPuts -= 1;
        req.alter = true;
        note(`conn ${conn.id}: the body of this PUT gets its first byte flipped`);
      }
      requests.push(req);
      note(`conn ${conn.id} #${conn.requests}: ${r.method} ${r.path.length > 70 ? `${r.path.slice(0, 70)}...` : r.path} (${r.contentLength} B body)`);
      return req;
    });
    const own = () => Object.assign(new Link(), { rate: connRate });
    pump(client, upstream, [up, own()], (piece) => { conn.upBytes += piece.length; read(piece); });
    pump(upstream, client, [down, own()], (piece) => { conn.downBytes += piece.length; });
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', ok); });
  const { port } = server.address();

  const proxy = {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    connections,
    requests,
    configure,
    setTarget(p, host = '127.0.0.1') { target.port = p; target.host = host; note(`target ${host}:${p}`); },
    /** Requests whose head arrived after `since` (ms on the proxy's clock, see now()). */
    requestsSince: (since) => requests.filter((r) => r.at >= since),
    now: stamp,
    /** Bytes forwarded browser → server so far, over the connections recorded. */
    upBytes: () => connections.reduce((a, c) => a + c.upBytes, 0),
    /** Forgets recorded requests/connections/events (live connections keep working). */
    clear() { requests.length = 0; connections.length = 0; events.length = 0; },
    log: () => events.join('\n'),
    destroyAll() { for (const s of sockets) s.destroy(); sockets.clear(); },
    async stop() {
      live.delete(proxy);
      proxy.destroyAll();
      await new Promise((ok) => server.close(() => ok()));
    },
  };
  live.add(proxy);
  return proxy;
}
