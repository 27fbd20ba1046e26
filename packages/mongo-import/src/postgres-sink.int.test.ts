import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { Client } from 'pg';
import { orderId } from '@codedispatch/core';
import { KyselyAssignmentRepository, openDatabase, type DatabaseHandle } from '@codedispatch/postgres';
import { at, raw, tmpDir, writeJsonArray, writeJsonLines, type DocEntry } from './__tests__/fixtures';
import { EXIT, runImportMongo } from './command';
import { openPostgresSink } from './postgres-sink';

/*
 * The command end to end on the real adapter: the embedded PGlite (a data
 * directory per test, reopened by each run) and, when TEST_DATABASE_URL is
 * set, a fresh database on that server.
 */

const OPEN_TIMEOUT_MS = 120_000;
const NOW = at('2026-11-26T10:00:00.000Z');
const doc = (d: Record<string, unknown>): DocEntry => ({ doc: d });

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

interface Target {
  /** The environment the command gets. */
  readonly env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  drop(): Promise<void>;
}

const admin = async (url: string, statement: string): Promise<void> => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
};

const targets: Record<string, () => Promise<Target>> = {
  pglite: () => {
    const dir = join(tmpDir(), 'pglite');
    return Promise.resolve({
      env: { PGLITE_DATA_DIR: dir },
      open: () => openDatabase({ pgliteDataDir: dir }),
      drop: () => Promise.resolve(),
    });
  },
  ...(process.env.TEST_DATABASE_URL
    ? {
        postgres: async (): Promise<Target> => {
          const adminUrl = process.env.TEST_DATABASE_URL as string;
          const name = `cd_test_import_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
          await admin(adminUrl, `create database ${name}`);
          const url = new URL(adminUrl);
          url.pathname = `/${name}`;
          const databaseUrl = url.toString();
          return {
            env: { DATABASE_URL: databaseUrl },
            open: () => openDatabase({ databaseUrl }),
            drop: () => admin(adminUrl, `drop database if exists ${name} with (force)`),
          };
        },
      }
    : {}),
};

describe.each(Object.keys(targets))('import-mongo into %s', (name) => {
  let target: Target;
  let dir: string;

  beforeEach(async () => {
    target = await (targets[name] as () => Promise<Target>)();
    dir = tmpDir();
  }, OPEN_TIMEOUT_MS);

  afterEach(async () => {
    await target.drop();
  }, OPEN_TIMEOUT_MS);

  const cli = async (argv: string[]) => {
    const stdout = new Collect();
    const stderr = new Collect();
    const code = await runImportMongo(
      [...argv, '--json'],
      { stdout, stderr, env: target.env, cwd: dir, now: () => NOW },
      openPostgresSink,
    );
    return { code, report: stdout.text === '' ? {} : (JSON.parse(stdout.text) as Record<string, unknown>), stderr: stderr.text };
  };

  /** Runs `query` on the target's database. */
  const inDatabase = async <T>(query: (handle: DatabaseHandle) => Promise<T>): Promise<T> => {
    const handle = await target.open();
    try {
      return await query(handle);
    } finally {
      await handle.close();
    }
  };

  it(
    'imports, keeps what it read, and a second run imports nothing new',
    async () => {
      writeJsonLines(join(dir, 'codes.jsonl'), [
        doc({
          order_id: 'o1',
          code: '482 913',
          zone_id: 'svo_d',
          created: at('2026-11-26T09:50:00Z'),
          expire: at('2026-11-26T10:20:00Z'),
        }),
        doc({ order_id: 'o2', code: '111-222', zone_id: 'svo_d', created: at('2026-11-26T09:00:00Z') }),
        // The same active code as o1 in the same area: the database refuses it.
        doc({ order_id: 'o3', code: '482913', zone_id: 'svo_d', created: at('2026-11-26T09:55:00Z') }),
        raw('{"order_id": '),
      ]);
      writeJsonArray(join(dir, 'assignments.json'), [
        doc({ order_id: 'o1', driver_id: 'd1', park_id: 'p1', status: 'processing', updated: at('2026-11-26T09:52:00Z') }),
      ]);
      const args = ['--codes', 'codes.jsonl', '--assignments', 'assignments.json', '--rejects', 'rejects.jsonl'];

      const first = await cli(args);
      expect(first.code).toBe(EXIT.rejected);
      expect(first.report).toMatchObject({ read: 5, imported: 2, merged: 1, skipped: 0, rejected: 2, duplicates: 0 });
      expect(first.report).toMatchObject({ unknown_areas: 1, records_by_unknown_area: { svo_d: 2 } });

      const stored = await inDatabase(async (handle) => {
        const repository = new KyselyAssignmentRepository(handle.db);
        return { o1: await repository.findByOrder(orderId('o1')), o2: await repository.findByOrder(orderId('o2')) };
      });
      expect(stored.o1).toMatchObject({
        code: '482913',
        status: 'processing',
        driver: { parkDbId: 'p1', driverId: 'd1' },
        createdAt: at('2026-11-26T09:50:00Z'),
        updatedAt: at('2026-11-26T09:52:00Z'),
        expiresAt: at('2026-11-26T10:20:00Z'),
        legacy: true,
        attempt: 1,
        changes: [
          { at: at('2026-11-26T09:50:00Z'), from: null, to: 'processing', actor: { kind: 'system' }, reason: 'imported' },
        ],
      });
      expect(stored.o2).toMatchObject({
        status: 'error',
        errorCode: 'expired',
        releasedAt: at('2026-11-26T09:00:00Z'),
        legacy: true,
      });

      const second = await cli(args);
      expect(second.code).toBe(EXIT.rejected);
      expect(second.report).toMatchObject({ read: 5, imported: 0, merged: 1, skipped: 2, rejected: 2 });
      const count = await inDatabase(
        async (handle) =>
          (await sql<{ n: string }>`select count(*) as n from code_dispatch.assignments`.execute(handle.db)).rows[0]?.n,
      );
      expect(Number(count)).toBe(2);
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'a dry run writes nothing, not even the schema',
    async () => {
      writeJsonLines(join(dir, 'codes.jsonl'), [
        doc({ order_id: 'o1', code: '1', zone_id: 'svo_d', created: at('2026-11-26T09:50:00Z') }),
      ]);
      const run = await cli(['--codes', 'codes.jsonl', '--dry-run']);
      expect(run.code).toBe(EXIT.ok);
      expect(run.report).toMatchObject({ dry_run: true, read: 1, imported: 1 });
      const table = await inDatabase(
        async (handle) =>
          (await sql<{ t: string | null }>`select to_regclass('code_dispatch.assignments')::text as t`.execute(handle.db)).rows[0]
            ?.t,
      );
      expect(table).toBeNull();
    },
    OPEN_TIMEOUT_MS,
  );
});
