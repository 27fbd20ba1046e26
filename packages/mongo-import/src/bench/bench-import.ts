import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { sql } from 'kysely';
import { Client } from 'pg';
import { testConfig } from '@codedispatch/core/testing';
import { LegacyImportWriter, migrateToLatest, openDatabase } from '@codedispatch/postgres';
import { readCommandLine, refuseCommandLine, runCommand, type CommandStreams } from '@codedispatch/postgres/command-line';
import { importMongoDump, type ImportReport } from '../import';
import { postgresSink } from '../postgres-sink';
import type { LegacyAssignmentSink, OpenedSink } from '../sink';
import { generateDump, type GeneratedDump } from './generate-dump';

/*
 * Import benchmark: generates a dump of N documents (default 1,000,000) into a
 * temporary directory and imports it
 *   - into a sink that writes nothing (the reading, parsing and merging alone),
 *   - into a fresh in-memory PGlite database,
 *   - into a fresh database on the server of TEST_DATABASE_URL (an admin
 *     connection, as in the tests), dropped afterwards unless --keep; else into
 *     DATABASE_URL itself, whose imported rows carry a prefix of this run and
 *     are deleted afterwards unless --keep.
 * Each import runs in a process of its own (so that one's memory does not
 * count in the next one's); it prints documents/s, its peak RSS (the
 * kernel's maxrss of the process) and its CPU time.
 *
 *   npx tsx --tsconfig tsconfig.jest.json packages/mongo-import/src/bench/bench-import.ts [N] [--only pipeline|pglite|postgres] [--keep]
 */

interface Target {
  readonly name: string;
  open(prefix: string): Promise<OpenedSink & { cleanup?: () => Promise<void> }>;
}

/** Accepts everything, stores nothing. */
const nullSink: LegacyAssignmentSink = {
  existingOrderIds: () => Promise.resolve(new Set()),
  write: (records) => Promise.resolve({ inserted: records.length, skipped: 0, conflicts: [] }),
};

const pipeline: Target = {
  name: 'pipeline (no writes)',
  open: () => Promise.resolve({ sink: nullSink, target: 'nothing', close: () => Promise.resolve() }),
};

const postgresTarget = (name: string, databaseUrl: string | undefined): Target => ({
  name,
  async open(prefix) {
    const database = await openDatabase(databaseUrl !== undefined ? { databaseUrl } : { pgliteDataDir: 'memory' });
    await migrateToLatest(database.db);
    const writer = new LegacyImportWriter(database);
    return {
      sink: postgresSink(writer),
      target: name,
      close: async () => {
        await writer.close();
        await database.close();
      },
      cleanup: async () => {
        await sql`delete from code_dispatch.assignments where order_id like ${`${prefix}%`}`.execute(database.db);
      },
    };
  },
});

const admin = async (url: string, statement: string): Promise<void> => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
};

/** A fresh database `cd_bench_<random>` on the server of `adminUrl`, dropped by `cleanup`. */
const freshDatabaseTarget = (name: string, adminUrl: string): Target => ({
  name,
  async open(prefix) {
    const database = `cd_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await admin(adminUrl, `create database ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const opened = await postgresTarget(name, url.toString()).open(prefix);
    let closed = false;
    return {
      ...opened,
      close: async () => {
        if (!closed) await opened.close();
        closed = true;
      },
      cleanup: async () => {
        await opened.close();
        closed = true;
        await admin(adminUrl, `drop database if exists ${database} with (force)`);
      },
    };
  },
});

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/**
 * What `work` costs the process: CPU time, and the peak RSS, as the kernel
 * counts it (getrusage's maxrss: a sampler misses the peaks of the passes
 * that never give the event loop a turn). The peak is the process's whole
 * life, its start included; each target runs in a fresh process.
 */
const measured = async <T>(work: () => Promise<T>): Promise<{ result: T; peakRss: number; cpuSeconds: number }> => {
  const cpu = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(cpu);
  return { result, peakRss: process.resourceUsage().maxRSS * 1024, cpuSeconds: (used.user + used.system) / 1e6 };
};

const runTarget = async (
  target: Target,
  dump: Pick<GeneratedDump, 'codes' | 'assignments'>,
  prefix: string,
  keep: boolean,
): Promise<void> => {
  const opened = await target.open(prefix);
  try {
    const rssBefore = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    const {
      result: report,
      peakRss,
      cpuSeconds,
    } = await measured((): Promise<ImportReport> =>
      importMongoDump({
        codes: dump.codes,
        assignments: dump.assignments,
        sink: opened.sink,
        config: testConfig(),
        now: new Date(),
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { records_by_unknown_area: _byArea, ...counts } = report;
    process.stdout.write(
      `${target.name}: ${report.read} documents in ${seconds.toFixed(1)} s = ${Math.round(report.read / seconds)} documents/s; ` +
        `peak RSS ${mb(peakRss)} (${mb(rssBefore)} before); CPU of this process ${cpuSeconds.toFixed(1)} s\n` +
        `  ${JSON.stringify(counts)}\n`,
    );
    if (!keep) await opened.cleanup?.();
  } finally {
    await opened.close();
  }
};

const TARGET_KEYS = ['pipeline', 'pglite', 'postgres'] as const;
type TargetKey = (typeof TARGET_KEYS)[number];
const isTargetKey = (s: string): s is TargetKey => (TARGET_KEYS as readonly string[]).includes(s);

const targetOf = (key: TargetKey): Target | null => {
  const testUrl = process.env.TEST_DATABASE_URL || undefined;
  const databaseUrl = process.env.DATABASE_URL || undefined;
  switch (key) {
    case 'pipeline':
      return pipeline;
    case 'pglite':
      return postgresTarget('PGlite (in memory)', undefined);
    case 'postgres':
      if (testUrl !== undefined) return freshDatabaseTarget('PostgreSQL (a fresh database on TEST_DATABASE_URL)', testUrl);
      return databaseUrl !== undefined ? postgresTarget('PostgreSQL (DATABASE_URL)', databaseUrl) : null;
  }
};

const COMMAND = {
  name: 'bench:import',
  usage: `Usage: npm run bench:import [-- [N] [--only pipeline|pglite|postgres] [--keep]]

Generates a dump of N documents (default 1000000) and imports it into each
target, each in a process of its own: pipeline (no writes), pglite (in
memory), postgres (a fresh database on TEST_DATABASE_URL, else DATABASE_URL;
left out when neither is set). Prints documents/s, the peak RSS and the CPU
time of each import's process.

  N                 documents to generate (default 1000000)
  --only <target>   one target: pipeline, pglite or postgres
  --keep            keep the imported rows (and the fresh database)
  -h, --help        this text

(--child, --codes, --assignments and --prefix are what the command passes to
its child processes.)
`,
  options: {
    only: { type: 'string' },
    keep: { type: 'boolean' },
    child: { type: 'string' },
    codes: { type: 'string' },
    assignments: { type: 'string' },
    prefix: { type: 'string' },
  },
  positionals: 1,
} as const;

/** The benchmark (or, with `--child`, one import of it). Resolves to the exit code. */
export const main = async (argv: readonly string[], io: CommandStreams = process): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const { values, positionals } = line.right;
  if (values.child !== undefined) {
    const target = isTargetKey(values.child) ? targetOf(values.child) : null;
    if (target === null || values.codes === undefined || values.assignments === undefined || values.prefix === undefined)
      return refuseCommandLine(COMMAND, io, '--child needs a target that is set up, --codes, --assignments and --prefix');
    await runTarget(target, { codes: values.codes, assignments: values.assignments }, values.prefix, values.keep === true);
    return 0;
  }
  const n = Number(positionals[0] ?? 1_000_000);
  if (!Number.isSafeInteger(n) || n <= 0)
    return refuseCommandLine(COMMAND, io, `N must be a positive integer, not '${positionals[0]}'`);
  const only = values.only;
  if (only !== undefined && !isTargetKey(only))
    return refuseCommandLine(COMMAND, io, `--only must be one of ${TARGET_KEYS.join(', ')}, not '${only}'`);
  const keys = TARGET_KEYS.filter((k) => (only === undefined || k === only) && targetOf(k) !== null);

  const dir = mkdtempSync(join(tmpdir(), 'mongo-import-bench-'));
  const prefix = `bench-${Date.now()}-`;
  try {
    const started = Date.now();
    const dump = await generateDump(dir, n, { prefix });
    const bytes = statSync(dump.codes).size + statSync(dump.assignments).size;
    io.stdout.write(
      `generated ${n} documents (${dump.codeDocuments} codes, ${dump.assignmentDocuments} assignments, ${mb(bytes)}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    let failed = false;
    for (const key of keys) {
      const childArgv = ['--child', key, '--codes', dump.codes, '--assignments', dump.assignments, '--prefix', prefix];
      const proc = fork(process.argv[1] as string, values.keep === true ? [...childArgv, '--keep'] : childArgv, {
        execArgv: process.execArgv,
        stdio: 'inherit',
      });
      const [code] = (await once(proc, 'exit')) as [number | null];
      if (code !== 0) failed = true;
    }
    return failed ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

if (require.main === module) runCommand(() => main(process.argv.slice(2)));
