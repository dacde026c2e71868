// Shortens the names that wasm-bindgen's glue and its .wasm share: every import
// (`__wbg_<name>_<16 hex digits>`, about 180 of them), its module name and every export, in both
// files at once.
// The hex digits do not compress, so this saves about 4 KB of gzip in the .wasm and 2.5 KB in
// the glue. Used by scripts/build-wasm.sh between wasm-bindgen and wasm-opt -Oz:
//
//   node scripts/minify-wasm-names.mjs WASM-OPT IN.wasm OUT.wasm GLUE.js
//
// `wasm-opt --minify-imports-and-exports-and-modules` renames them in the .wasm (every import
// module becomes `a`) and prints the mapping of the names (not of the module); this
// script applies it to the glue (GLUE.js, rewritten in place, unminified wasm-bindgen output) and
// fails if a name is left over, so a change in wasm-bindgen's output stops the build instead of
// shipping a module that cannot link.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const [wasmOpt, input, output, gluePath] = process.argv.slice(2);
if (!gluePath) {
  console.error('usage: node scripts/minify-wasm-names.mjs WASM-OPT IN.wasm OUT.wasm GLUE.js');
  process.exit(2);
}

const fail = (msg) => {
  console.error(`[minify-wasm-names] ${msg}`);
  process.exit(1);
};

const printed = execFileSync(wasmOpt, ['--minify-imports-and-exports-and-modules', input, '-o', output], {
  encoding: 'utf8',
  maxBuffer: 16 * 1024 * 1024,
});
let mapping;
try {
  mapping = JSON.parse(printed);
} catch (e) {
  fail(`wasm-opt printed no JSON mapping (${e.message}): ${printed.slice(0, 200)}`);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const key = (name) => JSON.stringify(name); // minified names may hold `$`; quoted keys are always valid
let glue = readFileSync(gluePath, 'utf8');

// Imports: the glue declares each one as a key of the import object, `__wbg_x_0123…: function(`.
for (const [, from, to] of mapping.imports) {
  const re = new RegExp(`(^|[\\s{,])${escape(from)}(\\s*:)`, 'gm');
  let count = 0;
  glue = glue.replace(re, (_, before, after) => {
    count += 1;
    return `${before}${key(to)}${after}`;
  });
  if (count !== 1) fail(`the import ${from} is declared ${count} times in ${gluePath} (expected once)`);
}

// The module: wasm-opt calls every import module `a`, so the glue must have just one, declared
// as a key of the import object (`"./skiff_bg.js": import0`).
const modules = [...new Set(mapping.imports.map(([mod]) => mod))];
if (modules.length > 1) fail(`imports come from ${modules.length} modules (${modules.join(', ')}); one was expected`);
for (const mod of modules) {
  const re = new RegExp(`(^|[\\s{,])${escape(JSON.stringify(mod))}(\\s*:)`, 'gm');
  let count = 0;
  glue = glue.replace(re, (_, before, after) => {
    count += 1;
    return `${before}"a"${after}`;
  });
  if (count !== 1) fail(`the import module ${mod} is declared ${count} times in ${gluePath} (expected once)`);
}

// Exports: the glue reads them off the instance's exports, `wasm.<name>`.
if (!/\blet wasmModule, wasmInstance, wasm;/.test(glue) && !/\bwasm = instance\.exports;/.test(glue)) {
  fail(`${gluePath} does not keep the exports in \`wasm\`: wasm-bindgen's output changed`);
}
for (const [from, to] of mapping.exports) {
  const re = new RegExp(`\\bwasm\\.${escape(from)}\\b`, 'g');
  glue = glue.replace(re, `wasm[${key(to)}]`);
}

const left = [...glue.matchAll(/\b__wbg_\w+_[0-9a-f]{16}\b|\bwasm\.(\w+)/g)].filter(
  (m) => m[1] === undefined || mapping.exports.some(([from]) => from === m[1]),
);
if (left.length > 0) fail(`names left in ${gluePath}: ${left.slice(0, 5).map((m) => m[0]).join(', ')}`);
writeFileSync(gluePath, glue);
