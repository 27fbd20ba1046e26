import * as E from 'fp-ts/Either';
import { databaseSettingsFromEnv } from './database-env';

describe('the database settings from the environment', () => {
  it('default to the embedded PGlite, leaving the pool to its defaults', () => {
    expect(databaseSettingsFromEnv({})).toEqual(E.right({ pgliteDataDir: './.data/pglite' }));
    expect(
      databaseSettingsFromEnv({ DATABASE_URL: '', PGLITE_DATA_DIR: '', DATABASE_POOL_SIZE: '', DATABASE_CONNECT_TIMEOUT_MS: '' }),
    ).toEqual(E.right({ pgliteDataDir: './.data/pglite' }));
  });

  it('read the server, the pool size and the connect timeout', () => {
    expect(
      databaseSettingsFromEnv({
        DATABASE_URL: 'postgres://db/codedispatch',
        PGLITE_DATA_DIR: '/var/lib/cd',
        DATABASE_POOL_SIZE: '25',
        DATABASE_CONNECT_TIMEOUT_MS: '1500',
      }),
    ).toEqual(
      E.right({ databaseUrl: 'postgres://db/codedispatch', pgliteDataDir: '/var/lib/cd', poolSize: 25, connectTimeoutMs: 1500 }),
    );
  });

  it('read whether statements are prepared, and refuse anything but true or false', () => {
    expect(databaseSettingsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'false' })).toEqual(
      E.right({ pgliteDataDir: './.data/pglite', preparedStatements: false }),
    );
    expect(databaseSettingsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'true' })).toEqual(
      E.right({ pgliteDataDir: './.data/pglite', preparedStatements: true }),
    );
    expect(databaseSettingsFromEnv({ DATABASE_PREPARED_STATEMENTS: 'no', DATABASE_POOL_SIZE: '0' })).toEqual(
      E.left([
        { path: 'DATABASE_POOL_SIZE', message: 'expected a positive integer, got "0"' },
        { path: 'DATABASE_PREPARED_STATEMENTS', message: 'expected true or false, got "no"' },
      ]),
    );
  });

  it.each(['0', '-1', '1.5', 'ten', ' 10', '1e3', '0x10', '99999999999999999999'])(
    'refuse %j as a pool size or a timeout, naming both variables at once',
    (bad) => {
      expect(databaseSettingsFromEnv({ DATABASE_POOL_SIZE: bad, DATABASE_CONNECT_TIMEOUT_MS: bad })).toEqual(
        E.left([
          { path: 'DATABASE_POOL_SIZE', message: `expected a positive integer, got ${JSON.stringify(bad)}` },
          { path: 'DATABASE_CONNECT_TIMEOUT_MS', message: `expected a positive integer, got ${JSON.stringify(bad)}` },
        ]),
      );
    },
  );
});
