import { areaId, codeSpaceSize, type AssignmentRepository, type Clock } from '@codedispatch/core';
import type { ServiceConfigSource } from '../config/service-config';

/**
 * Each configured area's code-space use for the gauge: codes taken (active,
 * or assigned within the reuse cooldown) over the codes the generator can
 * issue. Read from storage when the gauge is scraped.
 */
export const codeSpaceUse =
  (config: ServiceConfigSource, clock: Clock, storage: Pick<AssignmentRepository, 'countTakenCodes'>) =>
  (): Promise<{ readonly area: string; readonly ratio: number }[]> => {
    const now = clock.now().getTime();
    return Promise.all(
      Object.values(config.current().areas).map(async (area) => {
        const cutoff = new Date(now - area.codeReuseCooldownS * 1000);
        const taken = await storage.countTakenCodes(areaId(area.areaId), area.generator.length, cutoff);
        return { area: area.areaId, ratio: taken / codeSpaceSize(area.generator) };
      }),
    );
  };
