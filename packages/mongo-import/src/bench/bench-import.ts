import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Client } from 'pg';
import { testConfig } from '@codedispatch/core/testing';
import { KyselyAssignmentRepository, migrateToLatest, openDatabase } from '@codedispatch/postgres';
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
 * count in the next one's); it prints documents/s and its peak RSS, sampled
 * every 100 ms.
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
    return {
      sink: postgresSink(new KyselyAssignmentRepository(database.db)),
      target: name,
      close: () => database.close(),
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

/** Peak RSS while `work` runs, sampled every 100 ms. */
const withPeakRss = async <T>(work: () => Promise<T>): Promise<{ result: T; peakRss: number }> => {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  try {
    const result = await work();
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { result, peakRss };
  } finally {
    clearInterval(timer);
  }
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
    const { result: report, peakRss } = await withPeakRss((): Promise<ImportReport> =>
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
        `peak RSS ${mb(peakRss)} (${mb(rssBefore)} before)\n` +
        `  ${JSON.stringify(counts)}\n`,
    );
    if (!keep) await opened.cleanup?.();
  } finally {
    await opened.close();
  }
};

type TargetKey = 'pipeline' | 'pglite' | 'postgres';

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

const option = (args: readonly string[], name: string): string | undefined =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined;

/** In a child process: one import of the generated dump. */
const child = async (args: readonly string[]): Promise<void> => {
  const target = targetOf(option(args, '--child') as TargetKey);
  if (target === null) throw new Error('no such target');
  const dump = { codes: option(args, '--codes') as string, assignments: option(args, '--assignments') as string };
  await runTarget(target, dump, option(args, '--prefix') as string, args.includes('--keep'));
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  if (args.includes('--child')) return child(args);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const only = option(args, '--only');
  const keys = (['pipeline', 'pglite', 'postgres'] as const).filter(
    (k) => (only === undefined || k === only) && targetOf(k) !== null,
  );

  const dir = mkdtempSync(join(tmpdir(), 'mongo-import-bench-'));
  const prefix = `bench-${Date.now()}-`;
  try {
    const started = Date.now();
    const dump = await generateDump(dir, n, { prefix });
    const bytes = statSync(dump.codes).size + statSync(dump.assignments).size;
    process.stdout.write(
      `generated ${n} documents (${dump.codeDocuments} codes, ${dump.assignmentDocuments} assignments, ${mb(bytes)}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    for (const key of keys) {
      const argv = ['--child', key, '--codes', dump.codes, '--assignments', dump.assignments, '--prefix', prefix];
      const proc = fork(process.argv[1] as string, args.includes('--keep') ? [...argv, '--keep'] : argv, {
        execArgv: process.execArgv,
        stdio: 'inherit',
      });
      const [code] = (await once(proc, 'exit')) as [number | null];
      if (code !== 0) process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
