// A content stamp: one SHA-256 over files and folders (walked recursively, in a fixed order) and
// over whatever arrives on standard input (the caller pipes in tool versions there). Two builds
// whose stamps match had byte-identical inputs, so the second can reuse the first one's output.
//
//   node scripts/build-stamp.mjs PATH... [!PATH...] < extra-text   prints the stamp (64 hex digits)
//
// A PATH written with a leading `!` is left out (a file, or a folder with all it holds).
// Each file contributes its path relative to the working folder, its length and its bytes, so a
// renamed or moved file changes the stamp as much as an edited one. A path that does not exist
// contributes a marker instead of failing: a missing output then simply never matches a stored
// stamp. Symbolic links are followed (node_modules/.bin style links point at real files); a
// folder named in SKIP (version control, build output) is not entered.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';

const SKIP = new Set(['.git', 'target', 'node_modules']);

/** Every regular file under `path` (or `path` itself), sorted by name at each level. */
function files(path, out, skipped) {
  if (skipped.has(normalize(path))) return out;
  let info;
  try {
    info = statSync(path);
  } catch {
    out.push({ path, missing: true });
    return out;
  }
  if (info.isDirectory()) {
    const names = readdirSync(path).filter((name) => !SKIP.has(name)).sort();
    for (const name of names) files(join(path, name), out, skipped);
  } else if (info.isFile()) {
    out.push({ path });
  }
  return out;
}

function stamp(paths, skipped, extra) {
  const hash = createHash('sha256');
  const field = (text) => hash.update(`${Buffer.byteLength(text)}:${text}`);
  for (const entry of paths.flatMap((p) => files(p, [], skipped))) {
    field(relative(process.cwd(), entry.path));
    if (entry.missing) {
      field('(missing)');
    } else {
      const bytes = readFileSync(entry.path);
      hash.update(`${bytes.length}:`);
      hash.update(bytes);
    }
  }
  field(extra);
  return hash.digest('hex');
}

const args = process.argv.slice(2);
const paths = args.filter((a) => !a.startsWith('!'));
const skipped = new Set(args.filter((a) => a.startsWith('!')).map((a) => normalize(a.slice(1))));
if (paths.length === 0) {
  console.error('usage: node scripts/build-stamp.mjs PATH... [!PATH...] < extra-text');
  process.exit(2);
}
// Standard input may be a terminal (nothing piped in): then there is no extra text. Read as a
// stream: readFileSync(0) fails with EAGAIN when the shell hands over a non-blocking pipe.
let extra = '';
if (!process.stdin.isTTY) {
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) extra += chunk;
}
console.log(stamp(paths, skipped, extra));
