import { sql, type QueryExecutorProvider } from 'kysely';
import { KyselyAssignmentRepository, migrateToLatest, openDatabase } from '@codedispatch/postgres';
import type { LegacyAssignmentSink, OpenSink } from './sink';

/*
 * The PostgreSQL adapter of the sink: writes through the repository of
 * @codedispatch/postgres (`importLegacyAssignments`: ON CONFLICT (order_id)
 * DO NOTHING = skipped, an active-code clash = conflict); which orders exist is
 * one query per batch on `code_dispatch.assignments` (SPEC §3).
 */

export const postgresSink = (
  repository: Pick<KyselyAssignmentRepository, 'importLegacyAssignments'>,
  db: QueryExecutorProvider,
  options: { readonly tableExists?: boolean } = {},
): LegacyAssignmentSink => ({
  async existingOrderIds(ids) {
    if (ids.length === 0 || options.tableExists === false) return new Set();
    const { rows } = await sql<{
      order_id: string;
    }>`select order_id from code_dispatch.assignments where order_id = any(${ids})`.execute(db);
    return new Set(rows.map((r) => r.order_id));
  },
  write: (records) => repository.importLegacyAssignments(records),
});

/** `DATABASE_URL`, else the embedded PGlite in `PGLITE_DATA_DIR` (default ./.data/pglite), migrated unless a dry run. */
export const openPostgresSink: OpenSink = async ({ env, dryRun }) => {
  const databaseUrl = env.DATABASE_URL !== undefined && env.DATABASE_URL !== '' ? env.DATABASE_URL : undefined;
  const pgliteDataDir = env.PGLITE_DATA_DIR !== undefined && env.PGLITE_DATA_DIR !== '' ? env.PGLITE_DATA_DIR : './.data/pglite';
  const database = await openDatabase(databaseUrl !== undefined ? { databaseUrl } : { pgliteDataDir });
  try {
    let tableExists = true;
    if (dryRun) {
      const { rows } = await sql<{
        found: boolean;
      }>`select to_regclass('code_dispatch.assignments') is not null as found`.execute(database.db);
      tableExists = rows[0]?.found === true;
    } else {
      await migrateToLatest(database.db);
    }
    return {
      sink: postgresSink(new KyselyAssignmentRepository(database.db), database.db, { tableExists }),
      target: databaseUrl !== undefined ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${pgliteDataDir}`,
      close: () => database.close(),
    };
  } catch (e) {
    await database.close();
    throw e;
  }
};
