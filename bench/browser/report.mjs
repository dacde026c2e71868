// The benchmark's report: markdown tables on stdout (runs, cost per contender, targets, sizes,
// memory, where the time goes, CPU per process class, primitives, failures) and whether every
// target was met. The targets depend on the link (config.mjs's LINK): on the plain loopback, Skiff
// regular against filestack-js and the plain PUT, the bundle size and the memory run; on a shaped
// link, Skiff regular against the plain PUT and every peer.

import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { cpus, freemem, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM } from '../../tests/e2e/support/browser.mjs';
import { REPO_ROOT, serverBinary } from '../../tests/e2e/support/server.mjs';
import { DIST, DRIVER, LINK, LINK_TC, MEM_SIZE, MiB, ROUNDS, SIZE } from './config.mjs';
import { CONTENDERS } from './contenders.mjs';
import { bundleSizes } from './sizes.mjs';
import { packageVersions, versionList } from './uppy-bundle.mjs';
import { f1, f2, finishReport, median, mib, targetsTable } from './util.mjs';

const GiB = 1024 * MiB;

/**
 * The report as { text, allPass }. runs: per contender id, one entry per round ({ mibs, ms,
 * completeMs, analysis, cpu } or { error }); verified: per contender id, the round-1 SHA-256 check;
 * memory: measureMemory()'s; primitives: window.bench.primitives()'s; started: Date.now() at the start;
 * servers: peers.mjs's targets by name; peers: the peers' bundle (uppy-bundle.mjs's bundleUppy()).
 */
export function report({ started, runs, verified, failures, loadStart, loadEnd, browser, skiffVersion, server, servers, site, dist, memory, primitives, peers }) {
  const med = Object.fromEntries(CONTENDERS.map((c) => [c.id, median(runs[c.id].map((x) => x.mibs))]));
  const fsReg = med['fs-regular'];
  const put = med.put;
  const cpu = cpus()[0]?.model ?? '?';
  const df = spawnSync('df', ['-PT', server.data], { encoding: 'utf8' }).stdout.split('\n')[1]?.split(/\s+/) ?? [];
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim() ? ' (+ uncommitted changes)' : '';
  const fsPkg = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'filestack-js', 'package.json'), 'utf8')).version;
  const bin = serverBinary();

  const out = [];
  const p = (s = '') => out.push(s);
  p(`## Browser upload benchmark: ${LINK ? `${LINK} link (tc tbf ${LINK_TC ?? '?'} on the loopback of a network namespace holding the browser and every server)` : 'loopback'}`);
  p();
  p(`- machine: ${cpus().length} CPUs (${cpu}), memory ${(totalmem() / 1024 / MiB).toFixed(1)} GiB (free ${(freemem() / 1024 / MiB).toFixed(1)} GiB), kernel ${release()}`);
  p(`- load average (1 min) at the first round ${loadStart.toFixed(2)}, after the last ${loadEnd.toFixed(2)}`);
  p(`- Chromium ${browser.version()} headless (${CHROMIUM}), driven by ${DRIVER === 'cdp' ? 'raw CDP over a pipe (Target + Runtime domains only, no Network instrumentation)' : 'Playwright (Network domain on: in-memory request bodies are copied to node)'}, node ${process.version}; Skiff ${skiffVersion} at ${git}${dirty}, filestack-js ${fsPkg}`);
  p(`- skiff-server ${bin} (built ${statSync(bin).mtime.toISOString()}), data folder on ${df[1] ?? '?'} ${df[0] ?? '?'} (${server.data})`);
  p(`- dist/ built ${statSync(join(DIST, 'skiff_bg.wasm')).mtime.toISOString()} (scripts/bench-browser.sh rebuilds it only when missing, or with BENCH_REBUILD=1)`);
  p(`- page ${site.url}, dist ${dist.url}, API ${server.url}: three loopback origins, HTTP/1.1, every API call cross-origin`);
  if (peers) {
    const theirs = [
      servers.tus && `${versionList(packageVersions(['@tus/server', '@tus/file-store']))} in a node process of its own (${servers.tus.url})`,
      servers.s3 && `SeaweedFS \`weed mini\` with one bucket, every S3 request presigned by a signing endpoint in the harness (${servers.s3.url}) with Uppy's own SigV4 presigner`,
    ].filter(Boolean);
    p(`- peers, each with its defaults (bundled by esbuild): ${versionList(peers.versions)}; their servers: ${theirs.join('; ')}; every data folder on the same disk as skiff-server's`);
  }
  p(`- file: one ${mib(SIZE)} random file on disk (under BENCH_DIR), picked in the page through a file input and read once in full (into the page cache) before any timing; ${ROUNDS} rounds, contenders interleaved (order rotated each round), after a 16 MiB warm-up of each`);
  p();
  p(`| contender | ${Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`).join(' | ')} | median MiB/s | × filestack-js regular | × plain PUT |`);
  p(`|---|${Array.from({ length: ROUNDS }, () => '---:').join('|')}|---:|---:|---:|`);
  // † = other processes (not this benchmark's) used > 0.25 CPU on average during that run.
  let anyDisturbed = false;
  for (const c of CONTENDERS) {
    const disturbed = (x) => c.lib !== 'native' && x.cpu && x.cpu.foreign > 0.25 * x.cpu.wall;
    if (c.diag && c === CONTENDERS.find((x) => x.diag)) p(`| *diagnostics, not targets* |${Array.from({ length: ROUNDS }, () => '').join('|')}| | | |`);
    const cells = runs[c.id].map((x) => (x.error ? 'FAILED' : `${f1(x.mibs)}${disturbed(x) ? ' †' : ''}`));
    anyDisturbed ||= runs[c.id].some(disturbed);
    p(`| ${c.label} | ${cells.join(' | ')} | **${f1(med[c.id])}** | ${f2(med[c.id] / fsReg)} | ${f2(med[c.id] / put)} |`);
  }
  p();
  if (anyDisturbed) p('† other processes on the machine used more than a quarter of a CPU on average during that run (see "other processes" below); re-run when the machine is quiet if medians depend on it.');
  p('Notes:');
  p('- Skiff and filestack-js: time from the `upload()` call to its resolved result, each with its defaults (regular: 6 MiB parts, 3 in flight, MD5 of every part sent and checked; with `growParts: true` Skiff cuts the parts not yet under way again into bigger ones once its first three PUTs show a fast link; intelligent: `intelligent: true`, 8 MiB parts, one /multipart/commit per part).');
  const putComplete = median(runs.put.map((x) => x.completeMs));
  p(`- plain PUT: skiff-server has no raw PUT endpoint, so it is the protocol with one part: /multipart/start and /multipart/upload (part 1, size = the whole file, no md5) untimed, then only the single \`fetch(url, {method: 'PUT', body: file})\` of the whole File is timed; /multipart/complete afterwards is untimed (median ${f1(putComplete)} ms). The server still hashes (MD5 for the ETag) and fsyncs the bytes, as for every part.`);
  if (CONTENDERS.some((c) => c.id === 'min-md5')) {
    p('- diag: minimal MD5 client (page-lib.mjs): the least a client that sends every part\'s MD5 does, as a ceiling for such clients on this machine: 6 MiB parts, 3 in flight, one `arrayBuffer()` of each part hashed by Skiff\'s exported `md5_base64` (wasm), then /multipart/upload and a PUT of the `Blob` slice; no retries, progress, hash-ahead or timeouts.');
  }
  p('- peers: time from the call to the resolved result, the client built before the clock starts (Uppy: `new Uppy()`, the plugin, `addFile`; the clock covers `uppy.upload()` and `destroy()`). tus-js-client and Uppy + tus: one tus upload, no `chunkSize` (their default: the whole file in one PATCH); the `tus::` fingerprints they keep in localStorage are cleared before each run, so no run resumes an earlier one. Uppy + aws-s3: `shouldUseMultipart: true` (its default only above 100 MiB), its default parts (5 MiB, one at a time), each request signed by the endpoint through `signRequest`. What the servers do differs: skiff-server hashes (MD5) and fsyncs every part before it answers; @tus/file-store and SeaweedFS, with their defaults, do not fsync, so within a run their bytes stay in the page cache (the kernel writes dirty pages back after 30 s; each tus upload is deleted before that, and never reaches the disk): a peer can go faster than the plain PUT to skiff-server.');
  p('- MiB/s = file size / time. Stored bytes checked by SHA-256 in round 1: ' + CONTENDERS.filter((c) => c.lib !== 'native').map((c) => `${c.label} ${verified[c.id] === undefined ? 'n/a' : verified[c.id] ? 'ok' : 'MISMATCH'}`).join(', ') + '; the size of every stored file checked. Files are deleted and `sync` run after every upload.');
  p();

  costSection(p, runs, med);

  const skiffReg = med['skiff-regular'];
  const sizes = bundleSizes();
  const skiffGz = sizes.wasm.gz + sizes.glue.gz;
  const targets = [];
  if (LINK) {
    // Issue 15: on a link slower than the machine, Skiff regular gets (nearly) all of it and no
    // peer gets more.
    targets.push({ name: `${LINK}: Skiff regular ≥ 0.95 × plain PUT`, value: `${f2(skiffReg / put)} ×`, pass: skiffReg >= 0.95 * put });
    for (const c of CONTENDERS.filter((x) => x.peer)) {
      targets.push({ name: `${LINK}: Skiff regular ≥ ${c.label}`, value: `${f2(skiffReg / med[c.id])} ×`, pass: !(skiffReg < med[c.id]) && Number.isFinite(skiffReg) });
    }
  } else {
    targets.push(
      { name: 'Skiff regular ≥ 1.25 × filestack-js regular', value: `${f2(skiffReg / fsReg)} ×`, pass: skiffReg >= 1.25 * fsReg },
      { name: 'Skiff regular ≥ 0.80 × plain PUT', value: `${f2(skiffReg / put)} ×`, pass: skiffReg >= 0.8 * put },
      { name: 'wasm + JS glue ≤ 120 KB gzip -9 (zlib; 120 000 bytes)', value: `${(skiffGz / 1000).toFixed(1)} KB (${(skiffGz / 1024).toFixed(1)} KiB); filestack-js ${(sizes.fs.gz / 1000).toFixed(1)} KB`, pass: skiffGz <= 120_000 },
    );
  }
  // Issue 15: a 2 GiB upload grows the page's renderer by less than 96 MiB at its peak (the
  // hashing worker runs in the same renderer process). The peak is the higher of the samples and
  // the kernel's own (VmHWM), which also sees a spike between two samples.
  if (!memory.skipped) {
    const r = memory.renderer;
    const grown = memory.ok && r ? Math.max(r.peak, r.hwm ?? 0) - r.base : NaN;
    targets.push({
      name: `Skiff regular, ${mib(MEM_SIZE)} upload: renderer RSS grows < 96 MiB at its peak`,
      value: Number.isFinite(grown) ? `${(grown / MiB).toFixed(0)} MiB` : 'no measurement',
      pass: grown < 96 * MiB,
    });
  }
  out.push(...targetsTable(targets));
  if (LINK) gapSection(p, runs);

  p('### Sizes (gzip -9)');
  p();
  p('| file | raw bytes | gzip -9 bytes (zlib) | KB | KiB | GNU gzip -9 bytes |');
  p('|---|---:|---:|---:|---:|---:|');
  const row = (n, s) => p(`| ${n} | ${s.raw} | ${s.gz} | ${(s.gz / 1000).toFixed(1)} | ${(s.gz / 1024).toFixed(1)} | ${Number.isFinite(s.gnu) ? s.gnu : '–'} |`);
  row('dist/skiff_bg.wasm', sizes.wasm);
  row('dist/skiff.js (glue)', sizes.glue);
  row('**wasm + glue**', { raw: sizes.wasm.raw + sizes.glue.raw, gz: skiffGz, gnu: sizes.wasm.gnu + sizes.glue.gnu });
  row('dist/index.js (entry, separately)', sizes.entry);
  row('all of dist/ that loads', { raw: sizes.wasm.raw + sizes.glue.raw + sizes.entry.raw, gz: skiffGz + sizes.entry.gz, gnu: sizes.wasm.gnu + sizes.glue.gnu + sizes.entry.gnu });
  row('filestack-js 4.3.8 build/browser/filestack.umd.js', sizes.fs);
  p();

  memorySection(p, memory);
  timeSections(p, runs);

  p('Client-side primitives in this page (MiB/s, median of 3 × 48 MiB in 6 MiB pieces): ' +
    `Blob.slice().arrayBuffer() ${f1(primitives.blobSliceRead)} (in 1 MiB pieces ${f1(primitives.blobSliceReadSmall)}), ` +
    `Blob.slice().stream() drained ${f1(primitives.blobStreamRead)}, Skiff md5_base64 (wasm) ${f1(primitives.skiffWasmMd5)}, ` +
    `filestack-js md5 (spark-md5, JS) ${primitives.filestackJsMd5 == null ? 'n/a' : f1(primitives.filestackJsMd5)}` +
    (primitives.md5Agree == null ? '' : ` (digests agree: ${primitives.md5Agree})`) + '.');
  p();

  return finishReport(out, { targets, failures, started });
}

/**
 * ### Cost per contender: throughput, CPU seconds per GiB uploaded (the browser's processes, the
 * contender's own server) and the page's renderer memory during the runs (medians over the rounds).
 */
function costSection(p, runs, med) {
  p('### Cost per contender (medians over the rounds)');
  p();
  p('| contender | server | MiB/s | × plain PUT | renderer CPU s/GiB | browser + network + other Chromium CPU s/GiB | all Chromium CPU s/GiB | server CPU s/GiB | renderer RSS at start → peak (MiB) |');
  p('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const perGiB = SIZE / GiB;
  for (const c of CONTENDERS.filter((x) => x.lib !== 'native')) {
    const ok = runs[c.id].filter((x) => x.cpu);
    const server = { skiff: 'skiff-server', tus: '@tus/server', s3: 'SeaweedFS' }[c.target];
    if (!ok.length) { p(`| ${c.label} | ${server} | FAILED | – | – | – | – | – | – |`); continue; }
    const md = (f) => median(ok.map(f));
    const rest = (x) => x.browser + x.network + x.otherChromium;
    p(`| ${c.label} | ${server} | ${f1(med[c.id])} | ${f2(med[c.id] / med.put)} | ` +
      `${f2(md((x) => x.cpu.renderer) / perGiB)} | ${f2(md((x) => rest(x.cpu)) / perGiB)} | ${f2(md((x) => x.cpu.renderer + rest(x.cpu)) / perGiB)} | ${f2(md((x) => x.cpu.server) / perGiB)} | ` +
      `${(md((x) => x.memory.start) / MiB).toFixed(0)} → ${(md((x) => x.memory.peak) / MiB).toFixed(0)} |`);
  }
  p();
  p('CPU from /proc (utime + stime) over each run\'s measured interval, divided by the GiB uploaded; "server" is the contender\'s own server process (skiff-server, the @tus/server process, or `weed mini`; the signing endpoint runs in the harness, see the CPU table below). Renderer RSS: the page\'s renderer (the same page for every contender, in turn), sampled every 100 ms during the run; its start includes what the page held before (the file read once in full, the primitives\' buffers), so the growth to the peak is what the contender adds.');
  p();
}

/** ### Memory: the memory run (memory.mjs), or why it was skipped. */
function memorySection(p, memory) {
  p('### Memory');
  p();
  if (memory.skipped) {
    p(`Skipped: ${memory.skipped}.`);
  } else {
    const m = (x) => (Number.isFinite(x) ? `${(x / MiB).toFixed(0)} MiB` : '–');
    p('| run | MiB/s | renderer RSS before → peak sampled (VmHWM) | browser process RSS before → peak | network service RSS before → peak | all Chromium processes RSS before → peak |');
    p('|---|---:|---:|---:|---:|---:|');
    p(`| Skiff regular, ${mib(MEM_SIZE)} File (Blob of a repeated 1 MiB random Blob), fresh page | ${memory.ok ? f1(memory.mibs) : 'FAILED'} | ` +
      `${memory.renderer ? `${m(memory.renderer.base)} → ${m(memory.renderer.peak)} (${m(memory.renderer.hwm)})` : '–'} | ` +
      `${m(memory.browser.base)} → ${m(memory.browser.peak)} | ${m(memory.network.base)} → ${m(memory.network.peak)} | ` +
      `${m(memory.total.base)} → ${m(memory.total.peak)} (${memory.processes} processes) |`);
    p();
    p(`Renderer peak RSS in each quarter of the upload: ${memory.quarters.map(m).join(' → ')}; after the upload and a full GC (CDP HeapProfiler.collectGarbage): ${m(memory.afterGc)}.` +
      (memory.inPage ? ` Inside the page: wasm linear memory peak ${m(memory.inPage.wasmPeak)} (end ${m(memory.inPage.wasmEnd)}), JS heap used peak ${m(memory.inPage.heapPeak)} (performance.memory.usedJSHeapSize, sampled every 200 ms).` : ''));
    p();
    p('RSS from /proc/<pid>/status sampled every 100 ms during the upload; VmHWM is the renderer\'s own peak from the upload\'s start (reset through /proc/<pid>/clear_refs; – where that is not allowed). performance.measureUserAgentSpecificMemory needs a cross-origin-isolated page, which the test page is not.');
    if (!memory.ok) p(`Memory run failed: ${memory.error}`);
  }
  p();
}

/** Where the time goes (Resource Timing) and CPU seconds per process class, medians over the rounds. */
function timeSections(p, runs) {
  p('### Where the time goes (medians over the rounds, from the page\'s Resource Timing entries)');
  p();
  p('| contender | PUTs | /multipart/upload | commits | PUTs in flight (mean) | share of time with a PUT in flight | call → first PUT start ms | call → third PUT start ms | last PUT end → result ms | mean PUT ms | mean /multipart/upload ms |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  // The peers speak other protocols: only the Filestack protocol's calls are told apart here.
  for (const c of CONTENDERS.filter((x) => x.lib !== 'native' && x.target === 'skiff')) {
    const a = runs[c.id].map((x) => x.analysis).filter(Boolean);
    if (!a.length) { p(`| ${c.label} | – | – | – | – | – | – | – | – | – | – |`); continue; }
    const md = (k) => median(a.map((x) => x[k]));
    p(`| ${c.label} | ${md('puts')} | ${md('uploads')} | ${md('commits')} | ${f2(md('inflight'))} | ${(md('busyShare') * 100).toFixed(0)} % | ${f1(md('toFirstPut'))} | ${f1(md('toThirdPut'))} | ${f1(md('afterLastPut'))} | ${f1(md('meanPutMs'))} | ${f1(md('meanUploadMs'))} |`);
  }
  p();
  p('### CPU seconds per run (medians over the rounds; /proc utime+stime; wall = the measured interval plus harness overhead)');
  p();
  p('| contender | wall s | renderer | browser process | network service | other Chromium | its server | harness (node) | other processes | machine busy |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const ncpu = cpus().length;
  for (const c of CONTENDERS) {
    const cs = runs[c.id].map((x) => x.cpu).filter(Boolean);
    if (!cs.length) continue;
    const md = (k) => median(cs.map((x) => x[k]));
    p(`| ${c.label} | ${f2(md('wall'))} | ${f2(md('renderer'))} | ${f2(md('browser'))} | ${f2(md('network'))} | ${f2(md('otherChromium'))} | ${f2(md('server'))} | ${f2(md('harness'))} | ${f2(md('foreign'))} | ${(median(cs.map((x) => x.busy / (x.wall * ncpu))) * 100).toFixed(0)} % of ${ncpu} CPUs |`);
  }
  p();
  // The floor CPU puts under the wall time: the work of a run (every process of the browser, the
  // server and the harness) spread perfectly over every CPU of the machine.
  const floor = (id) => {
    const cs = (runs[id] ?? []).map((x) => x.cpu).filter(Boolean);
    if (!cs.length) return null;
    const work = median(cs.map((x) => x.ours));
    return { work, mibs: (SIZE / MiB) / (work / ncpu) };
  };
  const fReg = floor('skiff-regular');
  const fPut = floor('put');
  // The plain PUT's speed, which both lines below measure against.
  const putMibs = median((runs.put ?? []).map((x) => x.mibs));
  if (fReg && fPut) {
    p(`CPU floor: Skiff regular costs ${f2(fReg.work)} CPU-seconds per file (browser, server and harness), the plain PUT ${f2(fPut.work)}. ` +
      `Even spread perfectly over the ${ncpu} CPUs, Skiff regular's work takes ${f2(fReg.work / ncpu)} s: at most ${f1(fReg.mibs)} MiB/s, ` +
      `${f2(fReg.mibs / putMibs)} × the measured plain PUT. The MD5 work is what differs (see the disableIntegrityCheck and minimal MD5 client rows with BENCH_DIAG=1).`);
    p();
  }
  // The same uploader with and without MD5: what the integrity check itself costs, and where.
  const noMd5 = (runs['skiff-nomd5'] ?? []).filter((x) => x.cpu);
  const withMd5 = (runs['skiff-regular'] ?? []).filter((x) => x.cpu);
  if (noMd5.length && withMd5.length && Number.isFinite(putMibs)) {
    const extra = (k) => median(withMd5.map((x) => x.cpu[k])) - median(noMd5.map((x) => x.cpu[k]));
    const ratio = (rs) => median(rs.map((x) => x.mibs)) / putMibs;
    p(`The integrity check: Skiff regular used ${f2(extra('ours'))} CPU-seconds per file more than with disableIntegrityCheck ` +
      `(renderer ${f2(extra('renderer'))}: the hashing worker reads every part from the File a second time and hashes it; browser process ${f2(extra('browser'))}: it serves that read; ` +
      `network service ${f2(extra('network'))}; server ${f2(extra('server'))}; differences of medians, so a small negative one is noise), and reached ${f2(ratio(withMd5))} × the plain PUT against ${f2(ratio(noMd5))} × without it.`);
    p();
  }
  if (CONTENDERS.some((c) => c.lib === 'native')) {
    p('skiff-bench rows: the client is a child process that has exited when the CPU is read, so its CPU time (including generating its random parts, untimed) counts under "other processes".');
    p();
  }
}

/**
 * On a shaped link, with the tmpfs rows (contenders.mjs): how far Skiff regular's median is behind
 * the fastest peer's, and how much of that each of skiff-server's durable writes and the MD5 check
 * accounts for, from the same run.
 */
function gapSection(p, runs) {
  const times = (id) => (runs[id] ?? []).filter((x) => !x.error).map((x) => x.ms);
  const ms = (id) => median(times(id));
  const peers = CONTENDERS.filter((c) => c.peer && Number.isFinite(ms(c.id)));
  const rows = ['skiff-regular', 'skiff-nomd5', 'skiff-ram', 'skiff-ram-nomd5'].filter((id) => Number.isFinite(ms(id)));
  if (peers.length === 0 || !rows.includes('skiff-ram')) return;
  const fastest = peers.reduce((a, b) => (ms(b.id) < ms(a.id) ? b : a));
  const behind = (id) => ms(id) - ms(fastest.id);
  const label = (id) => CONTENDERS.find((c) => c.id === id).label.replace(/^diag: /, '');
  p("### Where Skiff's time goes against the fastest peer");
  p();
  p(`Medians of this run, ms behind ${fastest.label} (${f1(ms(fastest.id))} ms). Its server, like the other peers', never waits for the disk within a run (no fsync: the bytes stay in the page cache); skiff-server fsyncs every part and every complete before it answers. On a tmpfs the fsyncs cost nothing, so the tmpfs rows show Skiff on the peers' footing.`);
  p();
  const spread = (id) => Math.max(...times(id)) - Math.min(...times(id));
  p('| contender | ms behind | its rounds spread over, ms |');
  p('|---|---:|---:|');
  for (const id of [...rows, fastest.id]) p(`| ${label(id)} | ${id === fastest.id ? '–' : f1(behind(id))} | ${f1(spread(id))} |`);
  p();
  if (rows.includes('skiff-ram-nomd5')) {
    p(`Of Skiff regular's ${f1(behind('skiff-regular'))} ms: writing durably ${f1(ms('skiff-regular') - ms('skiff-ram'))}, the MD5 check ${f1(ms('skiff-ram') - ms('skiff-ram-nomd5'))}, and ${f1(behind('skiff-ram-nomd5'))} left with neither (start, parts and complete against one request). A difference smaller than the rounds' spread is noise.`);
    p();
  }
}
