// CPU time per process class during one run: /proc/<pid>/stat utime+stime of our processes and the
// machine's busy time from /proc/stat; "foreign" = busy time of every other process (disturbance).

import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { browserProcesses } from './processes.mjs';

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
export const CPU_CLASSES = ['renderer', 'browser', 'network', 'otherChromium', 'server', 'harness', 'foreign'];

/** utime + stime of a /proc stat line (the fields after the parenthesised name). */
function statTicks(stat) {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function procTicks(pid) {
  try {
    return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * CPU ticks of each thread name in one process (/proc/<pid>/task/<tid>/stat; threads of one name,
 * such as the thread pool's, are summed; Linux keeps 15 characters of a name). Chromium names its
 * threads: the main thread has the process's name ("chromium": in the renderer, the page's
 * thread), "DedicatedWorker" (a Web Worker), "Chrome_IOThread" (the browser process's IPC, which
 * also carries Blob reads), "ThreadPoolForeg" (the pools: file reads, V8's GC helpers), …
 */
function threadTicks(pid) {
  const out = {};
  let tids = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out[name] = (out[name] ?? 0) + statTicks(stat);
    } catch { /* gone */ }
  }
  return out;
}

export function cpuSnapshot(serverPid) {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = line;
  const procs = new Map();
  const add = (pid, cls) => { const t = procTicks(pid); if (t != null) procs.set(pid, { cls, t }); };
  const threads = new Map();
  add(serverPid, 'server');
  add(process.pid, 'harness');
  for (const p of browserProcesses()) {
    add(p.pid, p.type === 'renderer' ? 'renderer' : p.type === 'browser' ? 'browser' : p.type === 'utility:network' ? 'network' : 'otherChromium');
    if (p.type === 'renderer' || p.type === 'browser') threads.set(p.pid, { cls: p.type, t: threadTicks(p.pid) });
  }
  return { at: performance.now(), busy: user + nice + system + irq + softirq + (steal || 0), procs, threads };
}

export function cpuDelta(a, b) {
  const out = Object.fromEntries(CPU_CLASSES.map((c) => [c, 0]));
  let ours = 0;
  for (const [pid, { cls, t }] of b.procs) {
    const d = (t - (a.procs.get(pid)?.t ?? 0)) / CLK_TCK;
    out[cls] += d;
    ours += d;
  }
  const busy = (b.busy - a.busy) / CLK_TCK;
  out.foreign = Math.max(0, busy - ours);
  out.ours = ours; // every process of the run: Chromium, skiff-server, the harness
  out.busy = busy;
  out.wall = (b.at - a.at) / 1000;
  // Seconds per "class/thread name", the renderer's and browser process's threads (BENCH_DIAG=1).
  out.threads = {};
  for (const [pid, { cls, t }] of b.threads) {
    for (const [name, ticks] of Object.entries(t)) {
      const d = (ticks - (a.threads.get(pid)?.t[name] ?? 0)) / CLK_TCK;
      if (d > 0) out.threads[`${cls}/${name}`] = (out.threads[`${cls}/${name}`] ?? 0) + d;
    }
  }
  return out;
}
