/*
 * Where the service's CPU goes on one hot path: the service runs under
 * `node --cpu-prof` on a fresh PostgreSQL database while autocannon drives
 * the path (16 connections, 2 s warm-up + N s), then the profile is
 * summarised: self time by package (or part of the app) and the top
 * functions by self time.
 *
 *   node --import tsx bench/http/profile.ts [create|assign|status|lookup] [seconds=10] [service|express|node] [connections=16]
 *
 * With 16 connections the machine is saturated and the profiler's wall-clock
 * samples also land on system calls while the process waits for a CPU (pg's
 * and http's `writev`); with 4 the profile is closer to pure CPU time.
 *
 * The .cpuprofile is kept (path printed) for Chrome DevTools / speedscope.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { refuseCommandLine } from '@codedispatch/postgres/command-line';
import {
  createScratchDatabase,
  fmt,
  load,
  log,
  ROOT,
  runMain,
  scratch,
  seedDatabase,
  startScript,
  startService,
  startSink,
  table,
  writeConfig,
  type Child,
} from './common';
import { PATHS, Workload, type PathName } from './workload';

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a function lives: a package of node_modules, a part of this repository, node itself, or V8. */
export const categoryOf = (url: string, functionName: string): string => {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1] as string;
  const own = /\/(apps|packages)\/([^/]+)\//.exec(url);
  if (own !== null) return `${own[1]}/${own[2]}`;
  return url;
};

const shortUrl = (url: string): string =>
  url
    .replace(/^file:\/\//, '')
    .replace(`${ROOT}/`, '')
    .replace(/^.*node_modules\//, '');

export interface ProfileSummary {
  readonly totalMs: number;
  readonly busyMs: number;
  /** Self time of node internals and native code charged to the nearest calling package or part of the app. */
  readonly attributed: readonly { readonly name: string; readonly ms: number; readonly share: number }[];
  readonly byCategory: readonly { readonly name: string; readonly ms: number; readonly share: number }[];
  readonly top: readonly { readonly name: string; readonly where: string; readonly ms: number; readonly share: number }[];
}

/** Self time per node (sum of the sample intervals landing on it), grouped by category and by function. */
export const summarise = (profile: CpuProfile, topN = 30): ProfileSummary => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const categories = new Map<string, number>();
  const attributed = new Map<string, number>();
  const LOW = new Set(['node internals', '(native)']);
  const callerCategory = (id: number, own: string): string => {
    for (let at = parent.get(id); LOW.has(own) && at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      const c = f === undefined ? own : categoryOf(f.url, f.functionName);
      if (!LOW.has(c) && !c.startsWith('(')) return c;
    }
    return own;
  };
  const functions = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const category = categoryOf(url, functionName);
    categories.set(category, (categories.get(category) ?? 0) + us);
    const charged = callerCategory(id, category);
    attributed.set(charged, (attributed.get(charged) ?? 0) + us);
    const name = functionName === '' ? '(anonymous)' : functionName;
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${name} ${where}`;
    const f = functions.get(key) ?? { name, where, us: 0 };
    f.us += us;
    functions.set(key, f);
  }
  const busy = total - idle;
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    attributed: [...attributed].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / busy })),
    byCategory: [...categories].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / busy })),
    top: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: f.us / busy })),
  };
};

export const printSummary = (s: ProfileSummary, title: string): void => {
  process.stdout.write(
    `\n${title}\nprofiled ${fmt(s.totalMs / 1000)} s, busy (not idle) ${fmt(s.busyMs / 1000)} s; shares are of busy time\n\n` +
      `${table(
        ['self time by package / part', 'ms', 'share'],
        s.byCategory.slice(0, 20).map((c) => [c.name, fmt(c.ms, 0), `${fmt(c.share * 100, 1)} %`]),
      )}\n\n` +
      `${table(
        ['… with node internals charged to their caller', 'ms', 'share'],
        s.attributed.slice(0, 20).map((c) => [c.name, fmt(c.ms, 0), `${fmt(c.share * 100, 1)} %`]),
      )}\n\n` +
      `${table(
        ['top functions by self time', 'where', 'ms', 'share'],
        s.top.map((f) => [f.name, f.where, fmt(f.ms, 0), `${fmt(f.share * 100, 1)} %`]),
      )}\n`,
  );
};

const TARGETS = ['service', 'express', 'node'] as const;

const COMMAND = {
  name: 'profile',
  usage: `Usage: node --import tsx bench/http/profile.ts [create|assign|status|lookup] [seconds] [service|express|node] [connections]

Runs one target under node --cpu-prof on one path (a fresh PostgreSQL
database, 2 s of warm-up, then the seconds measured) and summarises the
profile; keeps the .cpuprofile. Defaults: create 10 service 16.

  -h, --help   this text

Database: BENCH_DATABASE_URL, admin URL of the server (default postgres://postgres@127.0.0.1:5432/test).
`,
  options: {},
  positionals: 4,
} as const;

const isPath = (s: string): s is PathName => (PATHS as readonly string[]).includes(s);
const isTarget = (s: string): s is (typeof TARGETS)[number] => (TARGETS as readonly string[]).includes(s);

const main = async ({ positionals }: { readonly positionals: readonly string[] }): Promise<void> => {
  const [path = 'create', secondsText = '10', target = 'service', connectionsText = '16'] = positionals;
  const seconds = Number(secondsText);
  const connections = Number(connectionsText);
  const refuse = (message: string): void => {
    process.exitCode = refuseCommandLine(COMMAND, process, message);
  };
  if (!isPath(path)) return refuse(`the path must be one of ${PATHS.join(', ')}, not '${path}'`);
  if (!(seconds > 0 && Number.isFinite(seconds))) return refuse(`seconds must be a positive number, not '${secondsText}'`);
  if (!isTarget(target)) return refuse(`the target must be one of ${TARGETS.join(', ')}, not '${target}'`);
  if (!Number.isInteger(connections) || connections <= 0)
    return refuse(`connections must be a positive integer, not '${connectionsText}'`);
  const workload = new Workload(60_000);
  const db = await createScratchDatabase('profile', target === 'service' ? 'service' : 'bare');
  const sink = await startSink();
  const dir = join(scratch(), 'cpu-prof');
  mkdirSync(dir, { recursive: true });
  let child: Child | null = null;
  try {
    await seedDatabase(target === 'service' ? { databaseUrl: db.url } : { bareUrl: db.url }, workload.seedSpec());
    const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
    child =
      target === 'service'
        ? await startService({
            name: 'service-profiled',
            configPath: writeConfig(sink.url),
            databaseUrl: db.url,
            nodeFlags: flags,
          })
        : await startScript(`bare-${target}-profiled`, `bare-${target}.ts`, { DATABASE_URL: db.url }, flags);
    const next = workload.stream()[path];
    log(`profile: ${path} on ${target}, ${connections} connections: warm-up 2 s, then ${seconds} s under --cpu-prof`);
    await load({ url: child.url, seconds: 2, next, connections });
    const stats = await load({ url: child.url, seconds, next, connections });
    log(`profile: ${fmt(stats.rps, 0)} req/s, p50 ${fmt(stats.p50, 2)} ms, p99 ${fmt(stats.p99, 2)} ms (slowed by the profiler)`);
    await child.stop();
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    const biggest = files.map((f) => ({ f, size: readFileSync(join(dir, f)).length })).sort((a, b) => b.size - a.size)[0];
    if (biggest === undefined) throw new Error(`no .cpuprofile written in ${dir}`);
    const kept = join(tmpdir(), `codedispatch-${target}-${path}-${Date.now()}.cpuprofile`);
    copyFileSync(join(dir, biggest.f), kept);
    const summary = summarise(JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile);
    printSummary(
      summary,
      `CPU profile of ${target} on ${path} (${fmt(stats.rps, 0)} req/s under the profiler); profile kept at ${kept}`,
    );
  } finally {
    await child?.stop();
    await sink.stop();
    await db.drop();
  }
};

if (require.main === module) runMain(COMMAND, main);
