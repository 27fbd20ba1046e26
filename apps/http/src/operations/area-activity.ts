import { areaSettingsOf, codeSpaceSize, type DispatchConfig } from '@codedispatch/core';
import { normaliseTyped } from '@codedispatch/core/adapter';
import type { AreaActivityRequest } from './ports';

const MINUTE_MS = 60_000;
/** The `last_15_min` figures' window. */
export const RECENT_WINDOW_MS = 15 * MINUTE_MS;

/**
 * What to ask the read model for the area summaries at `now`: every
 * configured area in the document's order, each with its reuse cooldown as
 * the start of "taken" (what the code-space gauge counts); `windowMin`
 * one-minute buckets, the last one the current minute.
 */
export const areaActivityRequest = (config: DispatchConfig, now: Date, windowMin: number): AreaActivityRequest => {
  const currentMinute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return {
    areas: Object.values(config.areas).map((area) => ({
      areaId: area.areaId,
      codeLength: area.generator.length,
      takenSince: new Date(now.getTime() - area.codeReuseCooldownS * 1000),
    })),
    now,
    seriesSince: new Date(currentMinute - (windowMin - 1) * MINUTE_MS),
    recentSince: new Date(now.getTime() - RECENT_WINDOW_MS),
  };
};

/** An area's facts from the configuration: whether it is enabled and how many codes it can issue. */
export const areaFacts = (
  config: DispatchConfig,
  areaId: string,
): { readonly enabled: boolean; readonly codeSpaceSize: number } => {
  const area = areaSettingsOf(config, areaId);
  return { enabled: area.enabled, codeSpaceSize: codeSpaceSize(area.generator) };
};

/**
 * A code as a driver would type it, as the area's records keep it: the core's
 * own folding (separators of every kind, full-width digits, look-alike
 * letters), so the search finds what the assign endpoint would.
 */
export const typedCodeIn = (config: DispatchConfig, areaId: string, typed: string): string =>
  normaliseTyped(areaSettingsOf(config, areaId).generator, typed);
