// A webhook receiver for end-to-end tests: records every event it is sent, with when it came.

import { createServer } from 'node:http';
import { freePort } from './server.mjs';

/** Listens on a free loopback port; `events` fills with `{ at, body }` as webhooks arrive. */
export async function startReceiver() {
  const events = [];
  const srv = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      events.push({ at: Date.now(), body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.end('ok');
    });
  });
  const port = await freePort();
  await new Promise((ok) => srv.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${port}/hook`, events, close: () => new Promise((ok) => srv.close(ok)) };
}
