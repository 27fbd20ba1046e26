import * as E from 'fp-ts/Either';
import { decodeConfig } from '../config/codec';
import type { DispatchConfig, ExperimentSettings } from '../config/config';
import { areaId } from '../domain/ids';
import type { ConfigSource } from '../ports';
import { ConfigExperiments, isCodeDispatchOn } from './config-experiments';
import { rolloutBucket } from './stable-hash';

const experiment = (overrides: Partial<ExperimentSettings> = {}): ExperimentSettings => ({
  enabled: true,
  areas: null,
  rolloutPercent: 100,
  denyUsers: [],
  ...overrides,
});

const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const share = (e: ExperimentSettings): number => users.filter((u) => isCodeDispatchOn(e, 'svo_d', u)).length / users.length;

describe('isCodeDispatchOn', () => {
  it('is off when the experiment is disabled', () => {
    expect(isCodeDispatchOn(experiment({ enabled: false }), 'svo_d', 'u1')).toBe(false);
  });

  it('with an allow-list, is on only in the listed areas', () => {
    const e = experiment({ areas: ['svo_d', 'zenit'] });
    expect(isCodeDispatchOn(e, 'svo_d', 'u1')).toBe(true);
    expect(isCodeDispatchOn(e, 'zenit', 'u1')).toBe(true);
    expect(isCodeDispatchOn(e, 'pulkovo', 'u1')).toBe(false);
    expect(isCodeDispatchOn(experiment({ areas: [] }), 'svo_d', 'u1')).toBe(false);
    expect(isCodeDispatchOn(experiment({ areas: null }), 'pulkovo', 'u1')).toBe(true);
  });

  it('is off for denied users, even at 100 %', () => {
    const e = experiment({ denyUsers: ['u2'] });
    expect(isCodeDispatchOn(e, 'svo_d', 'u1')).toBe(true);
    expect(isCodeDispatchOn(e, 'svo_d', 'u2')).toBe(false);
  });

  it('rolls out by the stable bucket: 0 % never, 100 % always, 50 % about half', () => {
    expect(share(experiment({ rolloutPercent: 0 }))).toBe(0);
    expect(share(experiment({ rolloutPercent: 100 }))).toBe(1);
    const half = share(experiment({ rolloutPercent: 50 }));
    expect(half).toBeGreaterThan(0.48);
    expect(half).toBeLessThan(0.52);
    const tenth = share(experiment({ rolloutPercent: 10 }));
    expect(tenth).toBeGreaterThan(0.09);
    expect(tenth).toBeLessThan(0.11);
  });

  it('is on exactly for buckets below percent × 100, so raising the percentage only adds users', () => {
    for (const user of users.slice(0, 500)) {
      const bucket = rolloutBucket(user);
      expect(isCodeDispatchOn(experiment({ rolloutPercent: 12.34 }), 'a', user)).toBe(bucket < 1234);
      if (isCodeDispatchOn(experiment({ rolloutPercent: 30 }), 'a', user)) {
        expect(isCodeDispatchOn(experiment({ rolloutPercent: 31 }), 'a', user)).toBe(true);
      }
    }
  });

  it('counts hundredths of a percent exactly (1.1 % is 110 buckets)', () => {
    let i = 0;
    while (rolloutBucket(`u${i}`) !== 110) i++;
    const user = `u${i}`;
    expect(isCodeDispatchOn(experiment({ rolloutPercent: 1.1 }), 'a', user)).toBe(false);
    expect(isCodeDispatchOn(experiment({ rolloutPercent: 1.11 }), 'a', user)).toBe(true);
  });

  it('is deterministic', () => {
    const e = experiment({ rolloutPercent: 50 });
    expect(users.map((u) => isCodeDispatchOn(e, 'svo_d', u))).toEqual(users.map((u) => isCodeDispatchOn(e, 'svo_d', u)));
  });
});

describe('ConfigExperiments', () => {
  const configOf = (document: unknown): DispatchConfig => {
    const result = decodeConfig(document);
    if (E.isLeft(result)) throw new Error(JSON.stringify(result.left));
    return result.right;
  };

  it('answers from the configuration in force, and follows a reload', async () => {
    let current = configOf({ experiment: { areas: ['svo_d'], deny_users: ['banned'] }, areas: { svo_d: {}, zenit: {} } });
    const source: ConfigSource = { current: () => current };
    const experiments = new ConfigExperiments(source);

    await expect(experiments.isCodeDispatchEnabled(areaId('svo_d'), 'u1')).resolves.toBe(true);
    await expect(experiments.isCodeDispatchEnabled(areaId('svo_d'), 'banned')).resolves.toBe(false);
    await expect(experiments.isCodeDispatchEnabled(areaId('zenit'), 'u1')).resolves.toBe(false);

    current = configOf({ experiment: { enabled: false }, areas: { svo_d: {} } });
    await expect(experiments.isCodeDispatchEnabled(areaId('svo_d'), 'u1')).resolves.toBe(false);
  });
});
