import { createLogger } from '../observability/logger';
import { MemoryTransport } from '../__tests__/harness';
import { EntryOutcomeTally } from './entry-outcome-tally';
import type { EntryOutcomeCount } from './ports';

const at = (iso: string) => () => new Date(iso);

const recorder = () => {
  const written: EntryOutcomeCount[][] = [];
  let fail = false;
  return {
    written,
    failNext: () => {
      fail = true;
    },
    store: {
      recordEntryOutcomes: async (counts: readonly EntryOutcomeCount[]) => {
        if (fail) {
          fail = false;
          throw new Error('database down');
        }
        written.push([...counts]);
      },
    },
  };
};

describe('EntryOutcomeTally', () => {
  it('counts refused entries by area, minute and code, and writes them once per flush', async () => {
    const r = recorder();
    let now = '2026-12-06T10:00:05.000Z';
    const tally = new EntryOutcomeTally(r.store, createLogger({ transports: [new MemoryTransport()] }), () => new Date(now));
    tally.count('svo_d', 'code_not_found');
    tally.count('svo_d', 'code_not_found');
    tally.count('zenit', 'too_many_attempts');
    now = '2026-12-06T10:01:00.000Z';
    tally.count('svo_d', 'code_not_found');
    await tally.flush();
    expect(r.written).toEqual([
      [
        { areaId: 'svo_d', minute: new Date('2026-12-06T10:00:00.000Z'), code: 'code_not_found', count: 2 },
        { areaId: 'zenit', minute: new Date('2026-12-06T10:00:00.000Z'), code: 'too_many_attempts', count: 1 },
        { areaId: 'svo_d', minute: new Date('2026-12-06T10:01:00.000Z'), code: 'code_not_found', count: 1 },
      ],
    ]);
    await tally.flush();
    expect(r.written).toHaveLength(1);
  });

  it('counts only failed code entries: not an outage, nor a switch that is off', async () => {
    const r = recorder();
    const tally = new EntryOutcomeTally(
      r.store,
      createLogger({ transports: [new MemoryTransport()] }),
      at('2026-12-06T10:00:05.000Z'),
    );
    for (const code of [
      'storage_unavailable',
      'area_disabled',
      'code_dispatch_disabled',
      'processing_disabled',
      'invalid_code_checksum',
    ])
      tally.count('svo_d', code);
    await tally.flush();
    expect(r.written).toEqual([
      [{ areaId: 'svo_d', minute: new Date('2026-12-06T10:00:00.000Z'), code: 'invalid_code_checksum', count: 1 }],
    ]);
  });

  it('logs a failed write and keeps its counts for the next flush', async () => {
    const r = recorder();
    const logs = new MemoryTransport();
    const tally = new EntryOutcomeTally(r.store, createLogger({ transports: [logs] }), at('2026-12-06T10:00:00.000Z'));
    tally.count('svo_d', 'code_not_found');
    r.failNext();
    await expect(tally.flush()).resolves.toBeUndefined();
    expect(logs.lines.find((l) => String(l.message).startsWith('entry-outcome tally: write failed'))).toBeDefined();
    tally.count('svo_d', 'code_not_found');
    await tally.stop();
    expect(r.written).toEqual([
      [{ areaId: 'svo_d', minute: new Date('2026-12-06T10:00:00.000Z'), code: 'code_not_found', count: 2 }],
    ]);
  });
});
