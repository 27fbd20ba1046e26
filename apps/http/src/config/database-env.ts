import * as E from 'fp-ts/Either';
import type { ConfigIssue } from '@codedispatch/core';
import { DEFAULT_PGLITE_DATA_DIR, type OpenDatabaseOptions } from '@codedispatch/postgres';
import type { Env } from './load-config';

/*
 * Where the service keeps its data, from the environment (docs/configuration.md):
 * `DATABASE_URL` (a real server; unset or empty: the embedded PGlite in
 * `PGLITE_DATA_DIR`), and for a real server `DATABASE_POOL_SIZE`,
 * `DATABASE_CONNECT_TIMEOUT_MS` and `DATABASE_PREPARED_STATEMENTS` (unset or
 * empty: the defaults of `openDatabase`). Every issue is reported at once, the variable's name as
 * its path; the service does not start with any.
 */

export type DatabaseSettings = Pick<
  OpenDatabaseOptions,
  'databaseUrl' | 'pgliteDataDir' | 'poolSize' | 'connectTimeoutMs' | 'preparedStatements'
>;

const nonEmpty = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

/** A positive integer in decimal digits, undefined when unset, or an issue naming the variable. */
const positiveInteger = (env: Env, name: string): E.Either<ConfigIssue, number | undefined> => {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return E.right(undefined);
  const value = Number(raw);
  return /^[0-9]+$/.test(raw) && Number.isSafeInteger(value) && value > 0
    ? E.right(value)
    : E.left({ path: name, message: `expected a positive integer, got ${JSON.stringify(raw)}` });
};

/** `true` or `false`, undefined when unset, or an issue naming the variable. */
const boolean = (env: Env, name: string): E.Either<ConfigIssue, boolean | undefined> => {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return E.right(undefined);
  return raw === 'true' || raw === 'false'
    ? E.right(raw === 'true')
    : E.left({ path: name, message: `expected true or false, got ${JSON.stringify(raw)}` });
};

export const databaseSettingsFromEnv = (env: Env): E.Either<readonly ConfigIssue[], DatabaseSettings> => {
  const poolSize = positiveInteger(env, 'DATABASE_POOL_SIZE');
  const connectTimeoutMs = positiveInteger(env, 'DATABASE_CONNECT_TIMEOUT_MS');
  const preparedStatements = boolean(env, 'DATABASE_PREPARED_STATEMENTS');
  if (E.isLeft(poolSize) || E.isLeft(connectTimeoutMs) || E.isLeft(preparedStatements))
    return E.left([poolSize, connectTimeoutMs, preparedStatements].filter(E.isLeft).map((i: E.Left<ConfigIssue>) => i.left));
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  return E.right({
    ...(databaseUrl !== undefined ? { databaseUrl } : {}),
    pgliteDataDir: nonEmpty(env.PGLITE_DATA_DIR) ?? DEFAULT_PGLITE_DATA_DIR,
    ...(poolSize.right !== undefined ? { poolSize: poolSize.right } : {}),
    ...(connectTimeoutMs.right !== undefined ? { connectTimeoutMs: connectTimeoutMs.right } : {}),
    ...(preparedStatements.right !== undefined ? { preparedStatements: preparedStatements.right } : {}),
  });
};
