/**
 * The operations console's activity query (`areaActivity`, polled every 5 s
 * per open console tab) on busy areas. For each database (embedded PGlite;
 * PostgreSQL when BENCH_DATABASE_URL / TEST_DATABASE_URL / DATABASE_URL is
 * set) a scratch database gets `AREAS` areas of `RECORDS` records each, all
 * changed within the last hour (change logs of three entries, a tally of
 * entry outcomes), then `CALLS` calls over a 60-minute window are timed.
 *
 *   npm run bench:activity         (RECORDS=20000 AREAS=3 CALLS=10 to change the run)
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import * as E from 'fp-ts/Either';
import type { DatabaseHandle } from '../connect';
import { KyselyOperationsReadModel, type AreaActivityRequest } from '../operations-read-model';
import { readCommandLine, runCommand, type CommandStreams } from '../cli/command-line';
import { withPglite, withPostgres } from './scratch-databases';

const RECORDS = Number(process.env.RECORDS ?? 20_000);
const AREAS = Number(process.env.AREAS ?? 3);
const CALLS = Number(process.env.CALLS ?? 10);
const WARMUP = 2;
const MIN = 60_000;

const areaIds = Array.from({ length: AREAS }, (_, i) => `bench_${i + 1}`);

/**
 * Each area's records, spread over the last hour: seven in ten entered and
 * assigned, one timed out in processing, one cancelled while processing, one
 * expired while pending (two changes); and a few entry outcomes a minute.
 */
const seed = async (handle: DatabaseHandle, now: Date): Promise<void> => {
  await sql`truncate code_dispatch.assignments, code_dispatch.entry_outcomes`.execute(handle.db);
  for (const area of areaIds) {
    await sql`
      with r as (
        select g, ${now}::timestamptz - (random() * interval '58 minutes') - interval '1 minute' as t0, g % 10 as kind
        from generate_series(1, ${RECORDS}::integer) as g
      ),
      c as (
        select g, t0, kind,
               t0 + interval '1 second' * (1 + random() * 20) as t1,
               t0 + interval '1 second' * (22 + random() * 30) as t2
        from r
      ),
      rows as (
        select g, t0, t2 as last_at,
               case when kind < 7 then 'assigned' else 'error' end as status,
               case kind when 7 then 'processing_timeout' when 8 then 'order_cancelled' when 9 then 'expired' end as error_code,
               jsonb_build_array(
                 jsonb_build_object('at', to_char(t0 at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'from', null, 'to', 'pending',
                                    'actor', jsonb_build_object('kind', 'service', 'name', 'ordercommit'))
               ) || case when kind = 9 then '[]'::jsonb else jsonb_build_array(
                 jsonb_build_object('at', to_char(t1 at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'from', 'pending', 'to', 'processing',
                                    'actor', jsonb_build_object('kind', 'driver', 'park_db_id', 'park1', 'driver_id', 'd' || g))
               ) end || jsonb_build_array(
                 jsonb_build_object('at', to_char(t2 at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                    'from', case when kind = 9 then 'pending' else 'processing' end,
                                    'to', case when kind < 7 then 'assigned' else 'error' end,
                                    'actor', jsonb_build_object('kind', 'service', 'name', 'ordercommit'))
                 || case kind when 7 then '{"error_code": "processing_timeout"}'::jsonb
                              when 8 then '{"error_code": "order_cancelled"}'::jsonb
                              when 9 then '{"error_code": "expired"}'::jsonb else '{}'::jsonb end
               ) as changes, kind
        from c
      )
      insert into code_dispatch.assignments
        (order_id, area_id, code, status, error_code, driver_id, park_db_id, created_at, updated_at, expires_at, released_at, version, changes)
      select ${area} || '-' || g, ${area}, lpad(g::text, 6, '0'), status, error_code,
             case when kind = 9 then null else 'd' || g end, case when kind = 9 then null else 'park1' end,
             t0, last_at, t0 + interval '1 hour', case when kind = 7 then null else last_at end,
             jsonb_array_length(changes), changes
      from rows`.execute(handle.db);
    await sql`
      insert into code_dispatch.entry_outcomes (area_id, minute, code, count)
      select ${area}, date_trunc('minute', ${now}::timestamptz) - interval '1 minute' * m, code, 1 + (m % 5)
      from generate_series(0, 59) as m, unnest(array['code_not_found', 'too_many_attempts']) as code`.execute(handle.db);
  }
  await sql`analyze code_dispatch.assignments`.execute(handle.db);
  await sql`analyze code_dispatch.entry_outcomes`.execute(handle.db);
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const report = async (name: string, handle: DatabaseHandle): Promise<void> => {
  const now = new Date();
  await seed(handle, now);
  const minute = Math.floor(now.getTime() / MIN) * MIN;
  const request: AreaActivityRequest = {
    areas: areaIds.map((areaId) => ({ areaId, codeLength: 6, takenSince: new Date(now.getTime() - 60 * MIN) })),
    now,
    seriesSince: new Date(minute - 59 * MIN),
    recentSince: new Date(now.getTime() - 15 * MIN),
  };
  const model = new KyselyOperationsReadModel(handle.db);
  const times: number[] = [];
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const started = performance.now();
    await model.areaActivity(request);
    if (i >= WARMUP) times.push(performance.now() - started);
  }
  console.log(
    `${name}: areaActivity, ${AREAS} areas × ${RECORDS} records changed in the last hour, 60-minute window, ${CALLS} calls: ` +
      `median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
  );
};

const bench = async (): Promise<void> => {
  await withPglite((h) => report('PGlite (embedded)', h));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (url) await withPostgres(url, (h) => report('PostgreSQL', h));
  else console.log('(set BENCH_DATABASE_URL or TEST_DATABASE_URL to also measure a real PostgreSQL)');
};

const COMMAND = {
  name: 'bench:activity',
  usage: `Usage: npm run bench:activity [-- -h | --help]

The operations console's activity query (areaActivity) on busy areas, on the
embedded PGlite and, when a URL is set, on PostgreSQL (a scratch database,
dropped at the end). Takes no options; the environment sets the run:

  RECORDS=20000      records per area, all changed within the last hour
  AREAS=3            areas asked in one call
  CALLS=10           timed calls (after 2 warm-up calls); the median is reported
  BENCH_DATABASE_URL (else TEST_DATABASE_URL, else DATABASE_URL) a PostgreSQL to measure too
`,
  options: {},
} as const;

/** The benchmark, once its command line is read. Resolves to the exit code. */
export const main = async (argv: readonly string[], io: CommandStreams = process): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  await bench();
  return 0;
};

if (require.main === module) runCommand(() => main(process.argv.slice(2)));
