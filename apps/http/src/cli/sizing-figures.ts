import { codeSpaceSize, type AreaSettings, type CheckDigitScheme, type GeneratorSettings } from '@codedispatch/core';

/*
 * The arithmetic of `npm run sizing`, pure: what a code generator can issue
 * (the core's own count), how much of it an area takes at an arrival rate,
 * and how likely guessed codes are to hit a live order. See
 * docs/operations.md#sizing for what each figure means.
 */

/** Named alphabets; any other value of `--alphabet` is the characters themselves. */
export const ALPHABETS: Readonly<Record<string, string>> = {
  decimal: '0123456789',
  crockford: '0123456789ABCDEFGHJKMNPQRSTVWXYZ',
};

/** The preset's name when `alphabet` is one, else the characters. */
export const alphabetName = (alphabet: string): string =>
  Object.keys(ALPHABETS).find((name) => ALPHABETS[name] === alphabet) ?? alphabet;

/** What an area is sized for. */
export interface Load {
  /** Orders created per hour in the area. */
  readonly ridesPerHour: number;
  /** Share of the code space (active or cooling down) planned to be taken at peak: 0 < fill <= 1. */
  readonly fill: number;
}

/** The settings of an area the figures depend on. */
export type AreaPolicy = Pick<
  AreaSettings,
  'generator' | 'orderExpireS' | 'codeReuseCooldownS' | 'maxFailedAttempts' | 'attemptsWindowS'
>;

/**
 * The typos (a single-character substitution, a swap of neighbours) a check
 * scheme lets through, as the core's tests establish them (damm.test.ts,
 * verhoeff.test.ts, luhn-mod-n.test.ts, parser.test.ts). Pairs are of
 * alphabet characters.
 */
export interface TypoCover {
  /** False for `none`: every well-formed string is looked up. */
  readonly checked: boolean;
  /** Neighbours whose swap passes the check. */
  readonly missedSwaps: readonly (readonly [string, string])[];
  /** Characters a substitution between which passes the check, at every second position leftwards from the last payload character. */
  readonly missedSubstitutions: readonly (readonly [string, string])[];
}

export const typoCover = (generator: GeneratorSettings): TypoCover => {
  const chars = [...generator.alphabet];
  const n = chars.length;
  const at = (i: number): string => chars[i] ?? '';
  switch (generator.checkDigit) {
    case 'none':
      return { checked: false, missedSwaps: [], missedSubstitutions: [] };
    case 'damm':
    case 'verhoeff':
      return { checked: true, missedSwaps: [], missedSubstitutions: [] };
    case 'luhn_mod_n': {
      // Odd N only: doubling gives v and v + (N-1)/2 the same digit sum, for 1 <= v <= (N-1)/2.
      const half = (n - 1) / 2;
      const substitutions = n % 2 === 1 ? Array.from({ length: half }, (_, i) => [at(i + 1), at(i + 1 + half)] as const) : [];
      return { checked: true, missedSwaps: [[at(0), at(n - 1)]], missedSubstitutions: substitutions };
    }
    default: {
      const never: never = generator.checkDigit;
      throw new Error(`unknown check_digit ${String(never)}`);
    }
  }
};

export interface Figures {
  /** Codes the generator can issue: `codeSpaceSize`, the core's count. */
  readonly codeSpace: number;
  /** The space is larger than 2^53 and `codeSpace` is that bound (the core saturates there). */
  readonly saturated: boolean;
  /** Codes in their reuse cooldown at the rate: every order releases its code once, so rate × cooldown. */
  readonly coolingCodes: number;
  /** Orders live at the rate, at most: rate × order_expire_s, every order live until it expires. */
  readonly liveOrders: number;
  /** (cooling codes + live orders) ÷ code space; above 1 the area runs out of codes at this rate. */
  readonly takenShare: number;
  /** Active orders the area holds at the planned fill: fill × code space less the cooling codes, at least 0. */
  readonly peakActiveOrders: number;
  /** Share of random strings (right length, alphabet characters) that pass the check character. */
  readonly stringPassesCheck: number;
  /**
   * Chance that one code drawn at random among the issuable ones is a live
   * order's, with the live orders at the rate (those an exhausted space holds
   * when it is exhausted).
   */
  readonly hitOneGuess: number;
  /** Chance that `maxFailedAttempts` distinct such codes hit at least one live order (the attempt limit allows that many misses). */
  readonly hitWithinLimit: number;
  readonly typos: TypoCover;
}

/** Chance that `guesses` distinct draws from `space` items, `hits` of them winning, win at least once. */
export const chanceOfAHit = (space: number, hits: number, guesses: number): number => {
  if (hits <= 0) return 0;
  let logMiss = 0;
  for (let i = 0; i < guesses; i++) {
    if (space - i <= hits) return 1;
    logMiss += Math.log1p(-hits / (space - i));
  }
  return -Math.expm1(logMiss);
};

/** The figures of one area's settings under a load. */
export const sizeArea = (area: AreaPolicy, load: Load): Figures => {
  const { generator } = area;
  const codeSpace = codeSpaceSize(generator);
  const coolingCodes = (load.ridesPerHour * area.codeReuseCooldownS) / 3600;
  const liveOrders = (load.ridesPerHour * area.orderExpireS) / 3600;
  // An exhausted space holds what the cooling codes leave: new orders get 503 code_space_exhausted.
  const held = Math.min(liveOrders, Math.max(0, codeSpace - coolingCodes));
  return {
    codeSpace,
    saturated: codeSpace === Number.MAX_SAFE_INTEGER,
    coolingCodes,
    liveOrders,
    takenShare: codeSpace === 0 ? Infinity : (coolingCodes + liveOrders) / codeSpace,
    peakActiveOrders: Math.max(0, Math.floor(load.fill * codeSpace - coolingCodes)),
    // Each payload has exactly one check character: 1 string in N passes.
    stringPassesCheck: generator.checkDigit === 'none' ? 1 : 1 / [...generator.alphabet].length,
    hitOneGuess: codeSpace === 0 ? 0 : held / codeSpace,
    hitWithinLimit: chanceOfAHit(codeSpace, held, area.maxFailedAttempts),
    typos: typoCover(generator),
  };
};

/** One line of the table: an area's settings and their figures, or why the combination cannot make codes. */
export type Row = {
  /** The area of a configuration document; null for a combination of options. */
  readonly area: string | null;
  readonly length: number;
  readonly alphabet: string;
  readonly checkDigit: CheckDigitScheme;
} & ({ readonly policy: AreaPolicy; readonly figures: Figures } | { readonly reason: string });

// --------------------------------------------------------------- scaling

/**
 * Measured figures quoted from docs/performance.md (`npm run bench:http`,
 * 2026-12-06, commit 704d3d1, a shared 2-vCPU VM carrying the service,
 * PostgreSQL 15 and the load generator; the benchmark sets no
 * DATABASE_POOL_SIZE, so the service ran with the default). Change them only
 * with that document.
 */
export const MEASURED = {
  source: 'docs/performance.md: npm run bench:http, 2026-12-06, commit 704d3d1, one shared 2-vCPU machine',
  /** The `mixed` part's cycle: create, code entry, drivers-lookup and 10 status reads. */
  requestsPerRide: 13,
  /** Of them, writes: create, code entry, lookup. */
  writesPerRide: 3,
  /** `mixed`: the highest rate whose p99 met the 20 ms target (10.79 ms), service and database on the same 2 cores. */
  mixRatePerInstance: 250,
  mixP99MsAtThatRate: 10.79,
  /** `mixed`: every request still answered on time at 1,000 req/s, p99 32.11 ms. */
  mixRateAnswered: 1000,
  mixP99MsAnswered: 32.11,
  /** DATABASE_POOL_SIZE's default, which the benchmark ran with. */
  poolSize: 10,
  /** `writes`: pgbench one-row INSERTs per second on that server, and the same with pg_notify. */
  databaseCommitsPerS: 17_044,
  databaseNotifyingCommitsPerS: 4_000,
  /** `writes`: the service's creates and code entries per second, one and two instances, CPU-bound. */
  serviceWritesPerS: [417, 474],
} as const;

export interface Scaling {
  readonly ridesPerHour: number;
  readonly requestsPerS: number;
  readonly writesPerS: number;
  /** Instances for the load at `mixRatePerInstance` each, and never fewer than 2. */
  readonly instances: number;
  /** Connections the instances hold at the default pool size: instances × (pool + 1 LISTEN). */
  readonly connections: number;
}

/** What the total rate asks of the service, by the measured figures. */
export const scaling = (ridesPerHour: number): Scaling => {
  const requestsPerS = (ridesPerHour * MEASURED.requestsPerRide) / 3600;
  const instances = Math.max(2, Math.ceil(requestsPerS / MEASURED.mixRatePerInstance));
  return {
    ridesPerHour,
    requestsPerS,
    writesPerS: (ridesPerHour * MEASURED.writesPerRide) / 3600,
    instances,
    connections: instances * (MEASURED.poolSize + 1),
  };
};

export interface Sizing {
  readonly load: Load;
  /** The configuration document the areas came from, if any. */
  readonly config: string | null;
  readonly rows: readonly Row[];
  /** What the rate asks of the service: the rows of a document are areas, each at the rate; without one, one area. */
  readonly scaling: Scaling;
}
