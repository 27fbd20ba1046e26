import {
  AREA_DEFAULTS,
  DEFAULT_GENERATOR,
  type AreaSettings,
  type DispatchConfig,
  type GeneratorSettings,
} from '../config/config';

/** An area with the spec's defaults, overridable field by field. */
export const areaSettings = (areaId: string, overrides: Partial<Omit<AreaSettings, 'areaId'>> = {}): AreaSettings => ({
  areaId,
  instructions: { en: 'Tell this code to the driver of the first car in the queue' },
  generator: DEFAULT_GENERATOR,
  ...AREA_DEFAULTS,
  ...overrides,
});

/** A complete configuration for tests: one area `svo_d` unless others are given. */
export const testConfig = (
  overrides: Partial<Omit<DispatchConfig, 'areas'>> & {
    readonly areas?: readonly AreaSettings[];
    readonly generator?: GeneratorSettings;
  } = {},
): DispatchConfig => {
  const { areas, ...rest } = overrides;
  return {
    processingEnabled: true,
    generator: DEFAULT_GENERATOR,
    experiment: { enabled: true, areas: null, rolloutPercent: 100, denyUsers: [] },
    ...rest,
    areas: Object.fromEntries((areas ?? [areaSettings('svo_d')]).map((a) => [a.areaId, a])),
  };
};
