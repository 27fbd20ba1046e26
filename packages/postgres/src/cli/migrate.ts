import * as E from 'fp-ts/Either';
import { openDatabase, DEFAULT_PGLITE_DATA_DIR } from '../connect';
import { migrateToLatest } from '../migrations';
import { readCommandLine, runCommand, type CommandStreams } from './command-line';

/*
 * Applies the pending migrations of code_dispatch: to DATABASE_URL when set,
 * else to the embedded PGlite in PGLITE_DATA_DIR (default ./.data/pglite).
 *
 *   npm run migrate [-- --help]
 */

const COMMAND = {
  name: 'migrate',
  usage: `Usage: npm run migrate [-- -h | --help]

Applies the pending migrations of the code_dispatch schema and prints each
one applied (or that the schema is up to date). Takes no options.

  -h, --help   this text

Database: DATABASE_URL, else the embedded PGlite in PGLITE_DATA_DIR (default ./.data/pglite).
Exit: 0 done, 1 the migration failed, 2 usage error (nothing done).
`,
  options: {},
} as const;

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

export const main = async (
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  io: CommandStreams = process,
): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  const pgliteDataDir = nonEmpty(env.PGLITE_DATA_DIR) ?? DEFAULT_PGLITE_DATA_DIR;
  const target = databaseUrl !== undefined ? `PostgreSQL ${redacted(databaseUrl)}` : `embedded PGlite in ${pgliteDataDir}`;
  const database = await openDatabase(databaseUrl !== undefined ? { databaseUrl, poolSize: 1 } : { pgliteDataDir });
  try {
    const { applied } = await migrateToLatest(database.db);
    if (applied.length === 0) io.stdout.write(`${target}: already up to date\n`);
    else for (const name of applied) io.stdout.write(`${target}: applied ${name}\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`${target}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    await database.close();
  }
};

if (require.main === module) runCommand(main);
