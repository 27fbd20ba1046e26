import type { Client } from '@openfeature/server-sdk';
import type { AreaId, Experiments } from '@codedispatch/core';

/** The one experiment (SPEC §8). */
export const CODE_DISPATCH_FLAG = 'code_dispatch';

/**
 * The `Experiments` port over any OpenFeature provider: the boolean flag
 * `code_dispatch`, evaluated with the user (or order, without a user) as the
 * targeting key and the area as an attribute. A provider error or a missing
 * flag answers the default, off: a broken flag service must not hand out codes
 * in areas nobody switched on.
 */
export class OpenFeatureExperiments implements Experiments {
  constructor(
    private readonly client: Client,
    private readonly defaultValue = false,
  ) {}

  isCodeDispatchEnabled(areaId: AreaId, userKey: string): Promise<boolean> {
    return this.client.getBooleanValue(CODE_DISPATCH_FLAG, this.defaultValue, { targetingKey: userKey, area_id: areaId });
  }
}
