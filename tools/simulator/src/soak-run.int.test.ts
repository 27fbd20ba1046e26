/**
 * A short soak against a service it starts itself (from its sources, on
 * PGlite): the samples come at the interval with every figure read, the
 * report and CSV hold them, the charts' specifications plot them; and the
 * scratch database of the PostgreSQL mode is created and dropped.
 */
import { join } from 'node:path';
import { openDatabase } from '@codedispatch/postgres';
import { ROOT } from './service-process';
import { soakChartSpecs } from './soak-charts';
import { formatSoakReport, soakSamplesCsv, summariseSoak } from './soak-report';
import { createScratchDatabase, runSoak } from './soak-run';

jest.setTimeout(120_000);

const SAMPLE_MS = 1_000;

it('samples the started instance every interval: RSS, heap, event-loop delay, CPU and the outbox, then reports them and puts them in the charts', async () => {
  const result = await runSoak({
    storage: { kind: 'pglite' },
    instances: 1,
    nodeArgs: ['--import', 'tsx', join(ROOT, 'apps/http/src/main.ts')],
    env: { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.jest.json') },
    areas: [{ id: 'svo_d', ratePerHour: 7_200, drivers: 6 }],
    durationMs: 6_000,
    sampleMs: SAMPLE_MS,
    seed: 5,
    behaviour: { walkS: 0.3, typingMs: 100, tripS: 1, waitMs: 2_000 },
  });

  const load = result.samples.filter((s) => s.at <= result.loadMs);
  expect(load.length).toBeGreaterThanOrEqual(6);
  // One sample per interval from the start: each is taken at its tick, or late by the scrape before it at most.
  load.forEach((s, k) => {
    expect(s.at).toBeGreaterThanOrEqual(k * SAMPLE_MS - 5);
    expect(s.at).toBeLessThan(k * SAMPLE_MS + SAMPLE_MS);
  });
  for (const s of load) {
    expect(s.instances).toHaveLength(1);
    const x = s.instances[0]!;
    expect(x.instance).toBe(1);
    expect(x.rssBytes).toBeGreaterThan(20 * 2 ** 20);
    expect(x.heapUsedBytes).toBeGreaterThan(0);
    expect(x.heapUsedBytes!).toBeLessThan(x.rssBytes!);
    expect(x.cpuSeconds).toBeGreaterThan(0);
    expect(x.lagP99S).toBeGreaterThan(0);
    expect(x.outboxDepth).toBeGreaterThanOrEqual(0);
    expect(x.scrapeMs).toBeGreaterThan(0);
    if (process.platform === 'linux') expect(Math.abs(x.vmRssBytes! - x.rssBytes!)).toBeLessThan(0.25 * x.rssBytes!);
  }
  expect(result.simulation.passengers.length).toBeGreaterThan(3);

  // Six seconds are far too few for a verdict: the report says so.
  const summary = summariseSoak(result);
  expect(summary.verdict).toBe('inconclusive');
  const text = formatSoakReport(result, summary, {
    startedAt: '2026-12-06T00:00:00.000Z',
    commit: 'abc',
    dirty: false,
    node: process.version,
    cpus: 2,
    loadBefore: [1, 1, 1],
    loadAfter: [1, 1, 1],
  });
  expect(text).toContain('1 instance started here on PGlite');
  expect(text).toContain('INCONCLUSIVE');
  const csv = soakSamplesCsv(result).trimEnd().split('\n');
  expect(csv[0]).toMatch(/^t_s,phase,instance,rss_mb,vmrss_mb,heap_used_mb/);
  expect(csv).toHaveLength(1 + result.samples.length);

  // (Rendering them needs vega's ES modules, which jest cannot load: the command does it.)
  const charts = new Map(soakChartSpecs(result, summary));
  expect([...charts.keys()]).toEqual(['soak-memory.png', 'soak-event-loop.png', 'soak-outbox.png', 'soak-load.png']);
  const plotted = (spec: unknown): unknown[] => JSON.stringify(spec).match(/"value":[0-9.]+/g) ?? [];
  // Memory: RSS and heap of every sample.
  expect(plotted(charts.get('soak-memory.png')).length).toBeGreaterThanOrEqual(2 * result.samples.length);
  // Event loop: p99 and mean of every sample but the first.
  expect(plotted(charts.get('soak-event-loop.png')).length).toBeGreaterThanOrEqual(2 * (result.samples.length - 1));
  expect(plotted(charts.get('soak-outbox.png')).length).toBeGreaterThanOrEqual(result.samples.length);
});

const SERVER = process.env.TEST_DATABASE_URL;
if (SERVER === undefined || SERVER === '')
  process.stdout.write('soak-run.int.test: TEST_DATABASE_URL is not set, the scratch database is not tested\n');

const onServer = SERVER ? describe : describe.skip;

onServer('the PostgreSQL mode', () => {
  it('creates a scratch database on the server and drops it', async () => {
    const scratch = await createScratchDatabase(SERVER as string);
    const name = new URL(scratch.url).pathname.slice(1);
    expect(name).toMatch(/^cd_soak_[0-9a-f]{12}$/);
    const exists = async (): Promise<boolean> => {
      const handle = await openDatabase({ databaseUrl: scratch.url, poolSize: 1, preparedStatements: false });
      try {
        return await handle.ping().catch(() => false);
      } finally {
        await handle.close();
      }
    };
    try {
      expect(await exists()).toBe(true);
    } finally {
      await scratch.drop();
    }
    expect(await exists()).toBe(false);
  });
});
