import { isMigrated, KyselyAssignmentRepository, migrateToLatest, openDatabase } from '@codedispatch/postgres';
import type { LegacyAssignmentSink, OpenSink } from './sink';

/*
 * The PostgreSQL adapter of the sink: writes through the repository of
 * @codedispatch/postgres (`importLegacyAssignments`: ON CONFLICT (order_id)
 * DO NOTHING = skipped, an active-code clash = conflict; `existingOrderIds`:
 * one query per batch). All SQL stays in that package.
 */

export const postgresSink = (
  repository: Pick<KyselyAssignmentRepository, 'importLegacyAssignments' | 'existingOrderIds'>,
  options: { readonly tableExists?: boolean } = {},
): LegacyAssignmentSink => ({
  existingOrderIds: (ids) =>
    options.tableExists === false ? Promise.resolve(new Set<string>()) : repository.existingOrderIds(ids),
  write: (records) => repository.importLegacyAssignments(records),
});

/** `DATABASE_URL`, else the embedded PGlite in `PGLITE_DATA_DIR` (default ./.data/pglite), migrated unless a dry run. */
export const openPostgresSink: OpenSink = async ({ env, dryRun }) => {
  const databaseUrl = env.DATABASE_URL !== undefined && env.DATABASE_URL !== '' ? env.DATABASE_URL : undefined;
  const pgliteDataDir = env.PGLITE_DATA_DIR !== undefined && env.PGLITE_DATA_DIR !== '' ? env.PGLITE_DATA_DIR : './.data/pglite';
  const database = await openDatabase(databaseUrl !== undefined ? { databaseUrl } : { pgliteDataDir });
  try {
    let tableExists = true;
    if (dryRun) tableExists = await isMigrated(database.db);
    else await migrateToLatest(database.db);
    return {
      sink: postgresSink(new KyselyAssignmentRepository(database.db), { tableExists }),
      target: databaseUrl !== undefined ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${pgliteDataDir}`,
      close: () => database.close(),
    };
  } catch (e) {
    await database.close();
    throw e;
  }
};
