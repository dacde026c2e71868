// Failure reports of the end-to-end tests: a failed step rethrows its error with what the test
// gathered (callbacks, console, server and proxy logs) appended to the message.

/** Throws `err` with `diag` appended to its message (or logs it when the message is read-only). */
export function rethrowWith(err, diag) {
  if (err && typeof err === 'object') {
    try {
      err.message = `${err.message}\n${diag}`;
    } catch {
      /* read-only */
    }
    if (!String(err.message).includes(diag)) console.error(diag);
    throw err;
  }
  throw new Error(`${String(err)}\n${diag}`);
}

/**
 * A node:test test that fails after `deadlineMs`. `mark()` runs first (it may reset what the
 * test gathers and returns, e.g., log offsets); on failure the error carries `diag(marked)`.
 */
export function deadlineTest(test, name, deadlineMs, { mark = () => undefined, diag = () => '' } = {}, fn) {
  test(name, { timeout: deadlineMs + 15_000 }, async () => {
    const from = mark();
    let timer;
    try {
      await Promise.race([
        fn(from),
        new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`no result within ${deadlineMs} ms`)), deadlineMs); }),
      ]);
    } catch (err) {
      rethrowWith(err, diag(from));
    } finally {
      clearTimeout(timer);
    }
  });
}

/** Runs every cleanup step, logging (not throwing) the ones that fail. */
export async function cleanUp(steps) {
  for (const step of steps) {
    try { await step(); } catch (e) { console.error('[e2e] cleanup:', e); }
  }
}
