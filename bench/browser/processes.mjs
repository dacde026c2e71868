// /proc helpers: the Chromium processes started by this node process (and any other child by its
// command line), and their memory.

import { readFileSync, readdirSync } from 'node:fs';

function procChildren() {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch { /* gone */ }
  }
  return children;
}

/** Every process below this node process, as { pid, cmd } (its command line, arguments joined by spaces). */
function descendants() {
  const children = procChildren();
  const out = [];
  const stack = [...(children.get(process.pid) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    stack.push(...(children.get(pid) ?? []));
    try { out.push({ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') }); } catch { /* gone */ }
  }
  return out;
}

export function browserProcesses() {
  const out = [];
  for (const { pid, cmd } of descendants()) {
    if (!/chrom/i.test(cmd)) continue;
    const type = /--type=(\S+)/.exec(cmd)?.[1] ?? 'browser';
    const sub = /--utility-sub-type=(\S+)/.exec(cmd)?.[1];
    out.push({ pid, type: sub ? `${type}:${sub.replace(/\.mojom\..*/, '')}` : type });
  }
  return out;
}

/** The pid of the one process below this node process whose command line matches `re`. */
export function childPid(re) {
  const found = descendants().filter((p) => re.test(p.cmd));
  if (found.length !== 1) throw new Error(`${found.length} processes match ${re}`);
  return found[0].pid;
}

export function procMem(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
  } catch {
    return null;
  }
}
