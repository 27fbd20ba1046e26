import { isMigrated, LegacyImportWriter, migrateToLatest, openDatabase } from '@codedispatch/postgres';
import type { LegacyAssignmentSink, OpenSink } from './sink';

/*
 * The PostgreSQL adapter of the sink: writes through the import writer of
 * @codedispatch/postgres (one transaction per batch; ON CONFLICT (order_id)
 * DO NOTHING = skipped, an active-code clash = conflict; `existingOrderIds`,
 * what a dry run counts as skipped: one query per batch). All SQL stays in
 * that package.
 */

export const postgresSink = (
  writer: Pick<LegacyImportWriter, 'write' | 'existingOrderIds'>,
  options: { readonly tableExists?: boolean } = {},
): LegacyAssignmentSink => ({
  existingOrderIds: (ids) => (options.tableExists === false ? Promise.resolve(new Set<string>()) : writer.existingOrderIds(ids)),
  write: (records) => writer.write(records),
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
    const writer = new LegacyImportWriter(database);
    return {
      sink: postgresSink(writer, { tableExists }),
      target: databaseUrl !== undefined ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${pgliteDataDir}`,
      close: async () => {
        try {
          await writer.close();
        } finally {
          await database.close();
        }
      },
    };
  } catch (e) {
    await database.close();
    throw e;
  }
};
