import type { AreaView } from './api';
import { entryFailures, areaLevel, formatAge, formatMs, formatPercent, formatRelative, formatUtc } from './format';

describe('formatPercent', () => {
  it.each([
    [0, '0 %'],
    [0.00000005, '< 0.01 %'],
    [0.000578, '0.06 %'],
    [0.0345, '3.5 %'],
    [0.823, '82 %'],
    [1, '100 %'],
  ])('shows the share %p as %p', (share, text) => {
    expect(formatPercent(share)).toBe(text);
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0 s'],
    [12.5, '12 s'],
    [60, '1 min'],
    [245, '4 min 5 s'],
    [9000, '2 h 30 min'],
    [3 * 86400 + 4 * 3600 + 59, '3 d 4 h'],
    [-5, '0 s'],
  ])('shows %p seconds as %p', (seconds, text) => {
    expect(formatAge(seconds)).toBe(text);
  });
});

describe('times', () => {
  const now = new Date('2026-12-06T10:00:00.000Z');

  it('shows a timestamp in UTC to the second', () => {
    expect(formatUtc('2026-12-06T09:01:02.345Z')).toBe('2026-12-06 09:01:02 UTC');
  });

  it('gives the age of a past time and the wait for a future one', () => {
    expect(formatRelative('2026-12-06T09:55:00.000Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-12-06T10:02:00.000Z', now)).toBe('in 2 min');
    expect(formatRelative('2026-12-06T10:00:00.400Z', now)).toBe('just now');
  });

  it('shows milliseconds under a second and seconds above, a dash for no sample', () => {
    expect(formatMs(420)).toBe('420 ms');
    expect(formatMs(1900)).toBe('1.9 s');
    expect(formatMs(null)).toBe('—');
  });
});

describe('areaLevel', () => {
  const area = (use: number, entries: number, errors: Record<string, number>): AreaView => ({
    area_id: 'svo_d',
    enabled: true,
    code_space: { size: 1000, taken: use * 1000, use },
    now: { pending: 0, processing: 0 },
    last_15_min: {
      entries,
      assignments: entries,
      entries_per_min: entries / 15,
      assignments_per_min: entries / 15,
      entry_to_assigned_ms: { count: 0, p50: null, p99: null },
      errors,
      attempt_limit_refusals: 0,
    },
    series: [],
  });

  it('is calm when codes are plenty and entries succeed, even with no activity at all', () => {
    expect(areaLevel(area(0.1, 30, { code_not_found: 1 }))).toEqual({ level: 'ok', reasons: [] });
    expect(areaLevel(area(0, 0, {})).level).toBe('ok');
  });

  it('turns amber, then red, as the code space fills', () => {
    expect(areaLevel(area(0.5, 10, {})).level).toBe('warn');
    expect(areaLevel(area(0.85, 10, {}))).toEqual({ level: 'alert', reasons: ['code space 85 % used'] });
  });

  it('turns red when most code entries fail, and says which share', () => {
    expect(areaLevel(area(0.1, 10, { code_not_found: 3 })).level).toBe('warn');
    expect(areaLevel(area(0.1, 2, { code_not_found: 5, too_many_attempts: 3 }))).toEqual({
      level: 'alert',
      reasons: ['80 % of code entries failed'],
    });
  });

  it('counts neither cancels nor expiries as failed entries, and a tracker refusal against the entry it failed', () => {
    expect(areaLevel(area(0.1, 4, { order_cancelled: 6, expired: 9 })).level).toBe('ok');
    // 4 entries, 2 of them answered driver_busy by the tracker: half the entries failed.
    expect(areaLevel(area(0.1, 4, { driver_busy: 2 }))).toEqual({ level: 'alert', reasons: ['50 % of code entries failed'] });
    expect(entryFailures({ code_not_found: 2, driver_busy: 1, expired: 5 })).toEqual({ failed: 3, refused: 2 });
  });
});
