import type { ExperimentSettings } from '../config/config';
import type { AreaId } from '../domain/ids';
import type { ConfigSource, Experiments } from '../ports';
import { ROLLOUT_BUCKETS, rolloutBucket } from './stable-hash';

/**
 * Is `code_dispatch` on for this area and user? In this order: off when the
 * experiment is disabled; off for an area outside the allow-list (when one is
 * given); off for a denied user; else on for `rollout_percent` % of users by
 * their stable bucket (see `stable-hash.ts`), the same users at every call.
 */
export const isCodeDispatchOn = (experiment: ExperimentSettings, areaId: string, userKey: string): boolean => {
  if (!experiment.enabled) return false;
  if (experiment.areas !== null && !experiment.areas.includes(areaId)) return false;
  if (experiment.denyUsers.includes(userKey)) return false;
  // Hundredths of a percent are the finest step; rounding keeps 1.1 % at 110 buckets, not 111.
  return rolloutBucket(userKey) < Math.round(experiment.rolloutPercent * (ROLLOUT_BUCKETS / 100));
};

/** The `Experiments` port answered from the configuration in force (it follows reloads). */
export class ConfigExperiments implements Experiments {
  constructor(private readonly config: ConfigSource) {}

  isCodeDispatchEnabled(areaId: AreaId, userKey: string): Promise<boolean> {
    return Promise.resolve(isCodeDispatchOn(this.config.current().experiment, areaId, userKey));
  }
}
