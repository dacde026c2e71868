// The picker's words as ES modules: www/lang/<code>.json → <out>/<code>.js (`export default {…}`).
// The JSON files stay the source translators edit; the package ships modules because a literal
// `import('./lang/de.js')` is what bundlers split into a chunk of its own and browsers load as is.
//
//   node scripts/lang-modules.mjs SRC_DIR OUT_DIR

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node scripts/lang-modules.mjs SRC_DIR OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
for (const file of readdirSync(src).filter((f) => f.endsWith('.json'))) {
  // Parsed and written again, so a broken translation fails the build here with its file's name.
  let words;
  try {
    words = JSON.parse(readFileSync(join(src, file), 'utf8'));
  } catch (e) {
    console.error(`${join(src, file)}: ${e.message}`);
    process.exit(1);
  }
  writeFileSync(join(out, `${basename(file, '.json')}.js`), `export default ${JSON.stringify(words)};\n`);
}
