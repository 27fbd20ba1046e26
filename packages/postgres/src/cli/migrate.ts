import { openDatabase, DEFAULT_PGLITE_DATA_DIR } from '../connect';
import { migrateToLatest } from '../migrations';

/*
 * Applies the pending migrations of code_dispatch: to DATABASE_URL when set,
 * else to the embedded PGlite in PGLITE_DATA_DIR (default ./.data/pglite).
 *
 *   npm run migrate -w @codedispatch/postgres
 */

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

/** Where the URL's password would be, stars: the target is printed. */
const redacted = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
};

export const main = async (env: NodeJS.ProcessEnv = process.env): Promise<number> => {
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  const pgliteDataDir = nonEmpty(env.PGLITE_DATA_DIR) ?? DEFAULT_PGLITE_DATA_DIR;
  const target = databaseUrl !== undefined ? `PostgreSQL ${redacted(databaseUrl)}` : `embedded PGlite in ${pgliteDataDir}`;
  const database = await openDatabase(databaseUrl !== undefined ? { databaseUrl, poolSize: 1 } : { pgliteDataDir });
  try {
    const { applied } = await migrateToLatest(database.db);
    if (applied.length === 0) console.log(`${target}: already up to date`);
    else for (const name of applied) console.log(`${target}: applied ${name}`);
    return 0;
  } catch (e) {
    console.error(`${target}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    await database.close();
  }
};

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
