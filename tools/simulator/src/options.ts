import type { GeneratorSettings } from '@codedispatch/core';
import type { Credentials } from './service-config';
import type { TrackerBehaviour } from './tracker-stand-in';

/*
 * What a simulation run is told: where the service is, the areas and their
 * load, how passengers and drivers behave, how the stand-ins behave, and
 * when to stop. Everything but the target and the areas has a default.
 */

export interface AreaLoad {
  readonly id: string;
  /** Passengers ordering per hour (a Poisson process). */
  readonly ratePerHour: number;
  /** Drivers working the area's queue. */
  readonly drivers: number;
}

export interface Behaviour {
  /** Share of code entries with one character wrong. */
  readonly typoRate: number;
  /** Share of code entries with two neighbouring characters swapped. */
  readonly swapRate: number;
  /** Share of code entries of another well-formed code. */
  readonly wrongCodeRate: number;
  /** Share of passengers who cancel (if no driver has taken them by then). */
  readonly cancelRate: number;
  /** A cancelling passenger cancels at a uniform time in [0, this] after ordering. */
  readonly cancelWithinS: number;
  /** Mean time from ordering to reaching the queue. */
  readonly walkS: number;
  /** Mean time a driver takes to type a code. */
  readonly typingMs: number;
  /** Mean time a driver is away on a ride before he rejoins the queue. */
  readonly tripS: number;
  /** `wait_ms` of the drivers' code entries and status long-polls (the service clamps it to 10 000). */
  readonly waitMs: number;
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  typoRate: 0.05,
  swapRate: 0.03,
  wrongCodeRate: 0.02,
  cancelRate: 0.05,
  cancelWithinS: 20,
  walkS: 5,
  typingMs: 1_500,
  tripS: 20,
  waitMs: 5_000,
};

export const DEFAULT_TRACKER: TrackerBehaviour = { refusalRate: 0.02, unavailableRate: 0.01, latencyMs: 20 };

/** The service settings a started service gets (SPEC §8 keys). */
export interface StartedServiceSettings {
  readonly generator: Pick<GeneratorSettings, 'length' | 'alphabet' | 'checkDigit'>;
  readonly orderExpireS: number;
  readonly processingTimeoutS: number;
  readonly codeReuseCooldownS: number;
}

export const DEFAULT_STARTED_SERVICE: StartedServiceSettings = {
  generator: { length: 6, alphabet: '0123456789', checkDigit: 'damm' },
  orderExpireS: 120,
  processingTimeoutS: 60,
  codeReuseCooldownS: 3_600,
};

export type Target =
  /** Start the service here: one instance on a temporary PGlite directory, or several on one PostgreSQL. */
  | {
      readonly kind: 'start';
      /** Instances to start (default 1); more than one needs `databaseUrl`. */
      readonly instances?: number;
      /** A PostgreSQL database to run on; absent: embedded PGlite in a temporary directory. */
      readonly databaseUrl?: string;
      readonly settings?: Partial<StartedServiceSettings>;
      /** How to run the service (node arguments); default `apps/http/dist/main.js`. */
      readonly nodeArgs?: readonly string[];
      readonly env?: Readonly<Record<string, string>>;
    }
  /** Running instances, configured by their operator to use the stand-ins. */
  | {
      readonly kind: 'urls';
      readonly urls: readonly string[];
      readonly credentials: Credentials;
      /** The areas' code format, for making wrong codes that pass the check (default the service's default). */
      readonly generator?: GeneratorSettings;
    };

export type SinkOption =
  | { readonly kind: 'webhook' }
  /** `exchange`: default `codedispatch` for a running service, one of the run's own for a service started here. */
  | { readonly kind: 'amqp'; readonly url: string; readonly exchange?: string; readonly queue?: string }
  /** The service runs the lookups itself: no processing stand-in traffic. */
  | { readonly kind: 'embedded' }
  /**
   * A started service only: its instances relay to both stand-ins, the first
   * to RabbitMQ, the second to the webhook receiver, and so on. Events land
   * on whichever instance's relay claims them, so both sinks' outages are
   * met in one run (what the chaos run does).
   */
  | { readonly kind: 'mixed'; readonly url: string };

export interface StandInAddresses {
  /** Where the stand-ins listen (default 127.0.0.1). */
  readonly host?: string;
  /** 0 (default): any free port. */
  readonly trackerPort?: number;
  readonly webhookPort?: number;
}

export interface Progress {
  readonly at: number;
  readonly phase: 'traffic' | 'drain';
  readonly durationMs: number;
  readonly arrived: number;
  readonly waiting: number;
  readonly rides: number;
  readonly requests: number;
  readonly tooManyAttempts: number;
  readonly serverErrors: number;
  readonly timeouts: number;
  readonly events: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface SimulationOptions {
  readonly target: Target;
  readonly areas: readonly AreaLoad[];
  /** How long passengers keep arriving. */
  readonly durationMs: number;
  /** Stops the run early: arrivals end, nothing is drained, the result covers what happened. */
  readonly signal?: AbortSignal;
  /** The seed of every choice the simulation makes (default 1). */
  readonly seed?: number;
  readonly behaviour?: Partial<Behaviour>;
  readonly tracker?: Partial<TrackerBehaviour>;
  readonly sink?: SinkOption;
  readonly standIns?: StandInAddresses;
  /** Deadline of every request but the long-polls (which get wait_ms more). Default 5 000. */
  readonly requestTimeoutMs?: number;
  /** Time series resolution (default 1 000 ms). */
  readonly sampleMs?: number;
  /** After the arrivals, how long the passengers still waiting may take to end (default: the order expiry + 15 s, at least 60 s). */
  readonly drainMs?: number;
  /** Read every passenger's record after the run (default true). */
  readonly verify?: boolean;
  /** Called about once a second. */
  readonly onProgress?: (progress: Progress) => void;
  /** Lines worth telling the operator (stand-ins' addresses, the service starting…). */
  readonly log?: (line: string) => void;
  /** Where a started service keeps its configuration, log and PGlite data; default a temporary directory, removed after. */
  readonly workDir?: string;
}
