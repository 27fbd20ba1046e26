import { NO_READING } from './soak-metrics';
import { cpuPercents, MB, summariseSoak, verdictNotes, verdictLine } from './soak-report';
import type { InstanceSample, SoakSample } from './soak-run';

/** Ten minutes of samples every 5 s for two instances, then two after the load; `figures(instance, k)` per sample. */
const samples = (figures: (instance: number, k: number) => Partial<InstanceSample>): SoakSample[] =>
  Array.from({ length: 123 }, (_, k) => ({
    at: k * 5_000,
    instances: [1, 2].map((instance) => ({
      ...NO_READING,
      instance,
      vmRssBytes: null,
      scrapeMs: 3,
      ...figures(instance, k),
    })),
  }));

const LOAD_MS = 600_000;

describe('summariseSoak', () => {
  it('judges each instance on its own: a leak on one makes the soak growing, the other stays flat', () => {
    const s = summariseSoak({
      instances: 2,
      loadMs: LOAD_MS,
      samples: samples((instance, k) => ({
        rssBytes: 140 * MB + (instance === 2 ? k * 0.25 * MB : 0),
        heapUsedBytes: 40 * MB,
      })),
    });
    expect(s.instances.map((x) => x.rss.verdict)).toEqual(['flat', 'growing']);
    // 0.25 MB a sample, 120 samples per 10 minutes.
    expect(s.instances[1]!.rss.growthPer10Min / MB).toBeCloseTo(30, 6);
    expect(s.verdict).toBe('growing');
    expect(verdictLine(s)).toMatch(/^GROWING: instance 2 RSS \+30\.00 MB \(limit /);
  });

  it('leaves the first sample out of the event-loop figures (its window is the start-up) and the samples after the load', () => {
    const s = summariseSoak({
      instances: 2,
      loadMs: LOAD_MS,
      samples: samples((_, k) => ({
        rssBytes: 140 * MB,
        heapUsedBytes: 40 * MB,
        lagP99S: k === 0 ? 0.5 : k > 120 ? 0.9 : 0.012 + (k % 2) * 0.002,
        lagMeanS: 0.0103,
        lagMaxS: k === 0 ? 1 : 0.03,
        outboxDepth: k === 60 ? 3 : k === 122 ? 7 : 0,
      })),
    });
    expect(s.instances[0]!.lagP99Ms.min).toBeCloseTo(12, 9);
    expect(s.instances[0]!.lagP99Ms.max).toBeCloseTo(14, 9);
    expect(s.instances[0]!.lagMaxMs).toBeCloseTo(30, 9);
    expect(s.outboxDepth).toEqual({ max: 3, last: 7 });
    expect(s.verdict).toBe('flat');
  });

  it('counts the scrapes that went unanswered during the load and the gap between the two RSS readings', () => {
    const s = summariseSoak({
      instances: 2,
      loadMs: LOAD_MS,
      samples: samples((instance, k) => ({
        rssBytes: 140 * MB,
        vmRssBytes: 140 * MB + (k === 10 ? 2 * MB : 0),
        heapUsedBytes: 40 * MB,
        scrapeMs: instance === 1 && (k === 5 || k === 122) ? null : 3,
      })),
    });
    expect(s.instances.map((x) => x.missedScrapes)).toEqual([1, 0]);
    expect(s.instances.map((x) => x.rssCrossCheckMaxDiff / MB)).toEqual([2, 2]);
  });
});

describe('verdictNotes', () => {
  it('names a flat series above its limit but within the noise, and one rising steadily below its limit', () => {
    const s = summariseSoak({
      instances: 2,
      loadMs: LOAD_MS,
      samples: samples((instance, k) => ({
        // Instance 1: a steady 2 MB per 10 minutes on 140 MB.
        rssBytes: 140 * MB + (instance === 1 ? (k * 2 * MB) / 120 : 0),
        // Instance 2: a heap sawtooth of 12 MB tilted by 8 MB per 10 minutes: past 10 % of its median, not past its noise.
        heapUsedBytes: 40 * MB + (instance === 2 ? ((k % 7) * 2 + (k * 8) / 120) * MB : 0),
      })),
    });
    expect(s.verdict).toBe('flat');
    const notes = verdictNotes(s);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(
      /^instance 1 RSS \+2\.00 ± 0\.00 MB per 10 min: a steady rise \(over 99 standard errors\) at 14 % of its limit$/,
    );
    expect(notes[1]).toMatch(
      /^instance 2 heap \+\d\.\d\d ± \d\.\d\d MB per 10 min: above its limit \(\d\.\d\d\) but \d\.\d standard errors/,
    );
  });

  it('has nothing to say about flat series without a rise', () => {
    const s = summariseSoak({
      instances: 2,
      loadMs: LOAD_MS,
      samples: samples(() => ({ rssBytes: 140 * MB, heapUsedBytes: 40 * MB })),
    });
    expect(verdictNotes(s)).toEqual([]);
    expect(verdictLine(s)).toMatch(/^FLAT: over 5 min–10 min no instance's RSS or heap grew faster than 10 % of its median/);
  });
});

describe('cpuPercents', () => {
  it('gives the CPU between each sample and the one before, in % of one core, and null where it cannot', () => {
    const at = [0, 5_000, 10_000, 15_000];
    const cpu = [1, 1.5, null, 2.5];
    const list: SoakSample[] = at.map((t, k) => ({
      at: t,
      instances: [{ ...NO_READING, instance: 1, vmRssBytes: null, scrapeMs: 3, cpuSeconds: cpu[k] ?? null }],
    }));
    const percents = cpuPercents(list, 1);
    expect(percents[0]).toBeNull();
    expect(percents[1]).toBeCloseTo(10, 9);
    expect(percents.slice(2)).toEqual([null, null]);
    expect(cpuPercents(list, 2)).toEqual([null, null, null, null]);
  });
});
