/**
 * Create latency as an area's code space fills (SPEC §5: at 95 % use, within
 * 2× of an empty area). For each database (embedded PGlite; PostgreSQL when
 * BENCH_DATABASE_URL / TEST_DATABASE_URL / DATABASE_URL is set) and each
 * fill level, the area is reset and pre-filled with active codes in bulk,
 * then `CREATES` orders go through the real create use case one by one.
 *
 *   npm run bench:codes            (CREATES=300 LENGTH=6 to change the run)
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import * as E from 'fp-ts/Either';
import {
  codeSpaceSize,
  ConfigExperiments,
  SystemClock,
  WebCryptoCodeRandom,
  DEFAULT_GENERATOR,
  AREA_DEFAULTS,
  orderId,
  areaId,
  type DispatchConfig,
  type GeneratorSettings,
} from '@codedispatch/core';
import { candidatesFromIndex, createUseCases } from '@codedispatch/core/adapter';
import type { DatabaseHandle } from '../connect';
import { KyselyAssignmentRepository } from '../kysely-assignment-repository';
import { readCommandLine, runCommand, type CommandStreams } from '../cli/command-line';
import { withPglite, withPostgres } from './scratch-databases';

const CREATES = Number(process.env.CREATES ?? 300);
const LENGTH = Number(process.env.LENGTH ?? 6);
const LEVELS = [0, 0.5, 0.95, 0.99];
const AREA = 'bench';

const generator: GeneratorSettings = { ...DEFAULT_GENERATOR, length: LENGTH, group: [LENGTH] };

const config: DispatchConfig = {
  processingEnabled: true,
  generator,
  experiment: { enabled: true, areas: null, rolloutPercent: 100, denyUsers: [] },
  areas: { [AREA]: { areaId: AREA, instructions: {}, generator, ...AREA_DEFAULTS } },
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/** Fill the area with `count` active codes, in bulk. */
const prefill = async (handle: DatabaseHandle, count: number): Promise<void> => {
  await sql`truncate code_dispatch.assignments, code_dispatch.outbox, code_dispatch.driver_attempts`.execute(handle.db);
  const codes = candidatesFromIndex(generator, 0, count);
  for (let i = 0; i < codes.length; i += 5000) {
    const chunk = codes.slice(i, i + 5000);
    await sql`
      insert into code_dispatch.assignments (order_id, area_id, code, status, created_at, updated_at, expires_at, changes)
      select 'fill-' || c, ${AREA}, c, 'pending', now(), now(), now() + interval '1 day', '[]'::jsonb
      from unnest(${chunk}::text[]) as c`.execute(handle.db);
  }
  await sql`analyze code_dispatch.assignments`.execute(handle.db);
};

const measure = async (handle: DatabaseHandle, level: number): Promise<{ p50: number; p99: number; mean: number }> => {
  const size = codeSpaceSize(generator);
  await prefill(handle, Math.floor(size * level));
  const source = { current: () => config };
  const dispatch = createUseCases({
    repository: new KyselyAssignmentRepository(handle.db),
    tracker: { acquire: async () => ({ kind: 'acquired' }) },
    experiments: new ConfigExperiments(source),
    clock: new SystemClock(),
    random: new WebCryptoCodeRandom(),
    config: source,
  });
  const run = `${Date.now()}`;
  const times: number[] = [];
  for (let i = 0; i < CREATES + 20; i++) {
    const started = performance.now();
    const created = await dispatch.createOrder.execute({
      orderId: orderId(`b-${run}-${i}`),
      areaId: areaId(AREA),
      userId: null,
      service: 'bench',
    })();
    const elapsed = performance.now() - started;
    if (E.isLeft(created)) throw new Error(`create failed at ${level}: ${created.left.code}`);
    if (i >= 20) times.push(elapsed); // the first ones warm up caches and the JIT
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
};

const report = async (name: string, handle: DatabaseHandle): Promise<void> => {
  const rows: { level: string; p50: number; p99: number; mean: number }[] = [];
  for (const level of LEVELS) rows.push({ level: `${level * 100} %`, ...(await measure(handle, level)) });
  const base = rows[0]!;
  console.log(
    `\n${name}: create latency, code space ${codeSpaceSize(generator)} (length ${LENGTH}), ${CREATES} creates per level`,
  );
  console.log('fill     p50 ms   p99 ms   mean ms   p50 ratio   p99 ratio');
  for (const r of rows) {
    console.log(
      `${r.level.padEnd(7)} ${r.p50.toFixed(2).padStart(7)}  ${r.p99.toFixed(2).padStart(7)}  ${r.mean.toFixed(2).padStart(8)}  ${(r.p50 / base.p50).toFixed(2).padStart(9)}×  ${(r.p99 / base.p99).toFixed(2).padStart(9)}×`,
    );
  }
};

const bench = async (): Promise<void> => {
  await withPglite((h) => report('PGlite (embedded)', h));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (url) await withPostgres(url, (h) => report('PostgreSQL', h));
  else console.log('\n(set BENCH_DATABASE_URL or TEST_DATABASE_URL to also measure a real PostgreSQL)');
};

const COMMAND = {
  name: 'bench:codes',
  usage: `Usage: npm run bench:codes [-- -h | --help]

Create latency as an area's code space fills (0, 50, 95, 99 %), on the
embedded PGlite and, when a URL is set, on PostgreSQL. Takes no options;
the environment sets the run:

  CREATES=300        orders created per fill level
  LENGTH=6           code length
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
