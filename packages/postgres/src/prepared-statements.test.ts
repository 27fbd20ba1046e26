import { Client, Pool, type PoolClient } from 'pg';
import { openDatabase, type DatabaseHandle } from './connect';
import { prepareRepeatedStatements } from './prepared-statements';
import { createScratchDatabase, OPEN_TIMEOUT_MS } from './testing/test-database';

/*
 * Statements repeated by the process are prepared on the connection: what
 * pg_prepared_statements shows is the proof (the server's own list of the
 * session's named statements).
 */

const preparedTexts = async (client: PoolClient): Promise<string[]> => {
  // Without parameters: this query itself is never prepared.
  const { rows } = await client.query<{ statement: string }>('select statement from pg_prepared_statements order by name');
  return rows.map((r) => r.statement);
};

const LOOKUP = 'select n from prepared_probe where n = $1';

describe('prepareRepeatedStatements on PGlite (openDatabase)', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ pgliteDataDir: 'memory' });
  }, OPEN_TIMEOUT_MS);
  afterAll(() => handle.close());

  it('prepares a statement from its third run, and answers it the same', async () => {
    const client = await handle.connect();
    try {
      await client.query('create table prepared_probe (n integer)');
      await client.query('insert into prepared_probe values (1), (2)');
      const answers: unknown[] = [];
      for (let i = 0; i < 2; i++) answers.push((await client.query(LOOKUP, [1])).rows);
      expect(await preparedTexts(client)).toEqual([]);
      for (let i = 0; i < 3; i++) answers.push((await client.query(LOOKUP, [2])).rows);
      expect(await preparedTexts(client)).toEqual([LOOKUP]);
      expect(answers).toEqual([[{ n: 1 }], [{ n: 1 }], [{ n: 2 }], [{ n: 2 }], [{ n: 2 }]]);
    } finally {
      client.release();
    }
  });
});

const URL_ = process.env.TEST_DATABASE_URL;
const onServer = URL_ ? describe : describe.skip;

onServer('prepareRepeatedStatements on PostgreSQL', () => {
  let scratch: { readonly url: string; drop(): Promise<void> };
  let url: string;
  const pools: Pool[] = [];
  /** A migration run by another process meanwhile. */
  const alter = async (change: string): Promise<void> => {
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      await other.query(`alter table prepared_probe ${change}`);
    } finally {
      await other.end();
    }
  };
  const pool = (options: Parameters<typeof prepareRepeatedStatements>[1] = {}): Pool => {
    const p = prepareRepeatedStatements(new Pool({ connectionString: url, max: 1 }), options);
    // pg-pool's end() resolves before its connections have closed, so the scratch database's forced
    // drop may terminate one of them; a pool without an error listener would throw that at the test.
    p.on('error', () => undefined);
    pools.push(p);
    return p;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase(URL_ as string);
    url = scratch.url;
    const setup = new Client({ connectionString: url });
    await setup.connect();
    await setup.query('create table prepared_probe (n integer, label text)');
    await setup.query("insert into prepared_probe values (1, 'one'), (2, 'two')");
    await setup.end();
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await scratch.drop();
  });

  it('prepares only statements with parameters, once each, up to the cap per connection', async () => {
    const client = await pool({ after: 1, perConnection: 2 }).connect();
    try {
      await client.query('select 1');
      await client.query('select 1');
      for (let n = 0; n < 3; n++) {
        await client.query('select $1::int + 1 as a', [n]);
        await client.query('select $1::int + 2 as b', [n]);
        expect((await client.query('select $1::int + 3 as c', [n])).rows).toEqual([{ c: n + 3 }]);
      }
      expect(await preparedTexts(client)).toEqual(['select $1::int + 1 as a', 'select $1::int + 2 as b']);
    } finally {
      client.release();
    }
  });

  it("keeps pg's callback form", async () => {
    const client = await pool({ after: 1 }).connect();
    try {
      const rows = await new Promise((resolve, reject) =>
        client.query(LOOKUP, [2], (error, result) => (error ? reject(error) : resolve(result.rows))),
      );
      expect(rows).toEqual([{ n: 2 }]);
      expect(await preparedTexts(client)).toEqual([LOOKUP]);
    } finally {
      client.release();
    }
  });

  it('prepares afresh when a migration changes the result type, and runs the call again', async () => {
    const text = 'select * from prepared_probe where n = $1';
    const client = await pool({ after: 1 }).connect();
    try {
      expect((await client.query(text, [1])).rows).toEqual([{ n: 1, label: 'one' }]);
      await alter("add column extra text default 'x'");
      expect((await client.query(text, [1])).rows).toEqual([{ n: 1, label: 'one', extra: 'x' }]);
      // Inside a transaction the failure is the caller's: the transaction is aborted anyway.
      await alter('drop column extra');
      await client.query('begin');
      await expect(client.query(text, [1])).rejects.toThrow(/cached plan must not change result type/);
      await client.query('rollback');
      expect((await client.query(text, [1])).rows).toEqual([{ n: 1, label: 'one' }]);
    } finally {
      client.release();
    }
  });

  it('runs the service through openDatabase with statements prepared, and without when told', async () => {
    for (const preparedStatements of [true, false]) {
      const handle = await openDatabase({ databaseUrl: url, poolSize: 1, preparedStatements });
      try {
        const client = await handle.connect();
        try {
          for (let i = 0; i < 4; i++) await client.query(LOOKUP, [1]);
          expect(await preparedTexts(client)).toEqual(preparedStatements ? [LOOKUP] : []);
        } finally {
          client.release();
        }
      } finally {
        await handle.close();
      }
    }
  });
});
