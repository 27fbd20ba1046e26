import { sql } from 'kysely';
import { driver, orderId, type Assignment } from '@codedispatch/core';
import { newAssignment } from '@codedispatch/core/adapter';
import { KyselyAssignmentRepository } from './kysely-assignment-repository';
import { LegacyImportWriter } from './legacy-import-writer';
import { draft } from './testing/repository-contract';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

/*
 * The import writer on every database: on a real server COPY straight into
 * the table, and, when a row is refused, the INSERT … ON CONFLICT fed by a
 * temporary table; on PGlite that INSERT fed by a JSON parameter.
 */

const T0 = new Date('2026-11-26T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const D1 = driver('park1', 'd1');
const D2 = driver('park1', 'd2');

const legacy = (id: string, code: string, overrides: Partial<Assignment> = {}): Assignment => ({
  ...newAssignment({ ...draft(id), code }),
  userId: null,
  legacy: true,
  changes: [{ at: T0, from: null, to: overrides.status ?? 'pending', actor: { kind: 'system' }, reason: 'imported' }],
  ...overrides,
});

if (!TEST_DIALECTS.includes('postgres'))
  process.stdout.write('legacy-import-writer.test: TEST_DATABASE_URL is not set, only PGlite is tested\n');

describe.each(TEST_DIALECTS)('LegacyImportWriter on %s', (dialect) => {
  let database: TestDatabase | undefined;
  let writer: LegacyImportWriter;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    if (database === undefined) throw new Error('no database');
    await database.reset();
    writer = new LegacyImportWriter(database.handle);
  });
  afterEach(async () => {
    await writer.close();
  });

  const repo = (): KyselyAssignmentRepository => new KyselyAssignmentRepository((database as TestDatabase).handle.db);
  const count = async (): Promise<number> =>
    Number(
      (
        await sql<{ n: string }>`select count(*) as n from code_dispatch.assignments`.execute(
          (database as TestDatabase).handle.db,
        )
      ).rows[0]?.n,
    );

  it('writes the records as they are, and skips orders already present', async () => {
    const records = [
      legacy('L1', '482913'),
      legacy('L2', 'AB 12', { status: 'processing', driver: D1, attempt: 1 }),
      legacy('L3', '482913', { status: 'assigned', driver: D2, attempt: 1, releasedAt: at(5) }),
      legacy('L4', '77', { status: 'error', errorCode: 'expired', releasedAt: at(1800) }),
    ];
    expect(await writer.write(records)).toEqual({ inserted: 4, skipped: 0, conflicts: [] });
    for (const r of records) expect(await repo().findByOrder(r.orderId)).toEqual(r);
    expect(await writer.write(records)).toEqual({ inserted: 0, skipped: 4, conflicts: [] });
    expect(await writer.write([])).toEqual({ inserted: 0, skipped: 0, conflicts: [] });
    expect(await writer.existingOrderIds(['L1', 'L4', 'nope'])).toEqual(new Set(['L1', 'L4']));
  });

  it('reports clashes and broken records as conflicts, without failing the batch, and writes the rest', async () => {
    await writer.write([legacy('L1', '111'), legacy('L2', '222', { status: 'processing', driver: D1, attempt: 1 })]);

    const result = await writer.write([
      legacy('A', '111'), // active code held by L1
      legacy('B', '333', { status: 'processing', driver: D1, attempt: 1 }), // driver busy with L2
      legacy('C', '444'),
      legacy('D', '444'), // same active code as C, in the same batch
      legacy('C', '555'), // same order as C, in the same batch: skipped
      legacy('E', '666', { status: 'assigned', driver: D2, releasedAt: null }), // breaks a check
      legacy('F', '111', { status: 'error', errorCode: 'expired', releasedAt: at(1800) }), // final: no clash
      legacy('L1', '999'), // present: skipped
      legacy('G', '777', { expiresAt: new Date('+010000-01-01T00:00:00.000Z') }), // PostgreSQL cannot read the year
    ]);
    expect(result.inserted).toBe(2);
    expect(result.skipped).toBe(2);
    expect(result.conflicts).toEqual([
      { orderId: 'E', reason: 'final status assigned without released_at' },
      { orderId: 'G', reason: 'a date outside the years 1-9999 (+010000-01-01T00:00:00.000Z)' },
      { orderId: 'A', reason: 'code 111 is already active in area svo_d (order L1)' },
      { orderId: 'B', reason: 'the driver already has order L2 in processing' },
      { orderId: 'D', reason: 'code 444 is already active in area svo_d (order C)' },
    ]);
    expect((await repo().findByOrder(orderId('C')))?.code).toBe('444');
    expect(await repo().findByOrder(orderId('F'))).not.toBeNull();
    expect(await repo().findByOrder(orderId('A'))).toBeNull();
    expect(await count()).toBe(4);
  });

  it('writes text with tabs, newlines, backslashes and quotes exactly', async () => {
    const odd = 'a\tb\nc\\d\re"f\\N';
    const record = legacy('odd\\id\t1', 'X\\1', {
      areaId: legacy('x', '1').areaId,
      status: 'assigned',
      driver: driver(`park ${odd}`, `driver ${odd}`),
      attempt: 1,
      releasedAt: at(5),
      changes: [{ at: T0, from: null, to: 'assigned', actor: { kind: 'system' }, reason: `imported ${odd}` }],
    });
    expect(await writer.write([record])).toEqual({ inserted: 1, skipped: 0, conflicts: [] });
    expect(await repo().findByOrder(record.orderId)).toEqual(record);
  });

  it('counts each batch on its own: consecutive batches on one writer', async () => {
    for (let batch = 0; batch < 3; batch++) {
      const records = Array.from({ length: 50 }, (_, i) => legacy(`b${batch}-${i}`, `${batch}-${i}`));
      expect(await writer.write(records)).toEqual({ inserted: 50, skipped: 0, conflicts: [] });
    }
    expect(await count()).toBe(150);
  });
});

// Skipped, and said so above, without TEST_DATABASE_URL.
(TEST_DIALECTS.includes('postgres') ? describe : describe.skip)('LegacyImportWriter on postgres, the way in', () => {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });

  /** Whether some session holds the writer's temporary table. */
  const staged = async (): Promise<boolean> =>
    (
      await sql<{
        n: string;
      }>`select count(*) as n from pg_class where relname = 'legacy_import_batch' and relpersistence = 't'`.execute(
        (database as TestDatabase).handle.db,
      )
    ).rows[0]?.n !== '0';

  it('copies a batch that clashes with nothing straight into the table, and goes through the temporary table only on a clash', async () => {
    const writer = new LegacyImportWriter((database as TestDatabase).handle);
    try {
      expect(await writer.write([legacy('W1', '1'), legacy('W2', '2')])).toEqual({ inserted: 2, skipped: 0, conflicts: [] });
      expect(await staged()).toBe(false);
      expect(await writer.write([legacy('W3', '3'), legacy('W1', '1')])).toEqual({ inserted: 1, skipped: 1, conflicts: [] });
      expect(await staged()).toBe(true);
    } finally {
      await writer.close();
    }
    expect(await staged()).toBe(false);
  });
});
