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
