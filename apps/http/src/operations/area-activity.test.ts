import { loadedOrThrow, testDocument } from '../__tests__/harness';
import { areaActivityRequest, typedCodeIn } from './area-activity';

describe('areaActivityRequest', () => {
  const { config } = loadedOrThrow(testDocument());
  const now = new Date('2026-12-06T10:00:42.123Z');

  it('asks for every configured area in the document order, taken since its reuse cooldown', () => {
    const request = areaActivityRequest(config, now, 60);
    expect(request.areas.map((a) => a.areaId)).toEqual(['svo_d', 'zenit', 'closed', 'outside', 'tiny', 'fast', 'strict']);
    expect(request.areas[0]).toEqual({ areaId: 'svo_d', codeLength: 6, takenSince: new Date('2026-12-06T09:00:42.123Z') });
    expect(request.areas.find((a) => a.areaId === 'tiny')).toEqual({ areaId: 'tiny', codeLength: 2, takenSince: now });
    expect(request.now).toBe(now);
    expect(request.recentSince).toEqual(new Date('2026-12-06T09:45:42.123Z'));
  });

  it('starts the series at a minute boundary, window_min buckets back, the last one the current minute', () => {
    expect(areaActivityRequest(config, now, 60).seriesSince).toEqual(new Date('2026-12-06T09:01:00.000Z'));
    expect(areaActivityRequest(config, now, 15).seriesSince).toEqual(new Date('2026-12-06T09:46:00.000Z'));
  });
});

describe('typedCodeIn', () => {
  const { config } = loadedOrThrow(testDocument());
  it('folds a code as the assign endpoint does: every separator, full-width digits, zero-width characters', () => {
    for (const typed of [' 482 91-8. ', '482–918', '482·918', '４８２９１８', '482\u200b918'])
      expect(typedCodeIn(config, 'svo_d', typed)).toBe('482918');
  });
});
