import type { GeneratorSettings } from '@codedispatch/core';
import type { AreaLoad, Behaviour } from './options';
import type { ProcessingStats } from './processing-stand-in';
import type { EntryRecord, PassengerRecord, ReceivedEvent, RequestRecord, Sample } from './records';
import type { SinkKind } from './service-config';
import type { TrackerBehaviour, TrackerStats } from './tracker-stand-in';
import type { WebhookStats } from './webhook-receiver';

/*
 * A finished run, as data: the settings it ran with, what happened (records,
 * events, passengers, samples) and the stand-ins' counts.
 */

export interface SimulationSettings {
  readonly seed: number;
  readonly areas: readonly AreaLoad[];
  readonly durationMs: number;
  readonly behaviour: Behaviour;
  readonly tracker: TrackerBehaviour;
  readonly sink: SinkKind | 'mixed';
  readonly instances: readonly string[];
  /** The service was started by the run (on PGlite unless a database URL was given). */
  readonly startedHere: boolean;
  readonly storage: 'pglite' | 'postgres' | 'external';
  readonly generator: GeneratorSettings;
  readonly requestTimeoutMs: number;
  readonly sampleMs: number;
  /** The started service's order_expire_s (null for a running service: its own). */
  readonly orderExpireS: number | null;
}

export interface SimulationResult {
  readonly startedAt: string;
  readonly settings: SimulationSettings;
  /** How long passengers arrived (less than the duration when stopped early). */
  readonly trafficMs: number;
  /** Traffic and drain. */
  readonly elapsedMs: number;
  readonly stoppedBy: 'duration' | 'signal';
  /** Every passenger ended before the drain's time was up. */
  readonly drained: boolean;
  readonly requests: readonly RequestRecord[];
  readonly entries: readonly EntryRecord[];
  readonly events: readonly ReceivedEvent[];
  readonly passengers: readonly PassengerRecord[];
  readonly samples: readonly Sample[];
  readonly tracker: TrackerStats;
  readonly webhook: WebhookStats | null;
  readonly processing: ProcessingStats;
}
