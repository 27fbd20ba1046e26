import { alphabetName, MEASURED, type AreaPolicy, type Figures, type Row, type Sizing, type TypoCover } from './sizing-figures';

/*
 * How `npm run sizing` prints its figures: aligned tables with a legend, or
 * one JSON object (snake_case, raw numbers).
 */

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A share as a percentage, with the digits it needs. */
export const percent = (share: number): string => {
  if (!Number.isFinite(share)) return '—';
  const p = share * 100;
  if (p === 0) return '0 %';
  if (p < 0.01) return '< 0.01 %';
  return `${p >= 10 ? p.toFixed(0) : p >= 1 ? p.toFixed(1) : p.toFixed(2)} %`;
};

/** A chance as "1 in N", N to two significant digits: 1 in 1.5, 1 in 17,000, 1 in 3.4e6. */
export const oneIn = (chance: number): string => {
  if (chance <= 0) return '0';
  const n = Number((1 / chance).toPrecision(2));
  return `1 in ${n >= 1e6 ? n.toExponential(1).replace('e+', 'e') : n.toLocaleString('en-US')}`;
};

const typosMissed = (typos: TypoCover): string => {
  if (!typos.checked) return 'all';
  const missed = [
    ...typos.missedSwaps.map(([a, b]) => `${a}↔${b} swap`),
    ...(typos.missedSubstitutions.length > 0 ? [`${typos.missedSubstitutions.length} substitution pairs`] : []),
  ];
  return missed.length === 0 ? 'none' : missed.join(', ');
};

const exhausted = (f: Figures): boolean => f.takenShare > 1;

const settingsLine = (policy: AreaPolicy, f: Figures): string =>
  `code_reuse_cooldown_s ${policy.codeReuseCooldownS} (${int(f.coolingCodes)} codes cooling down), ` +
  `order_expire_s ${policy.orderExpireS} (at most ${int(f.liveOrders)} orders live), ` +
  `max_failed_attempts ${policy.maxFailedAttempts} in attempts_window_s ${policy.attemptsWindowS}` +
  (policy.generator.forbidTrivial ? '' : ', trivial codes allowed');

type Cell = { readonly text: string; readonly right?: boolean };

const HEADERS = [
  'length',
  'alphabet',
  'check',
  'code space',
  'taken at rate',
  'peak active',
  'string passes',
  'guess hits',
  'within limit',
  'typos missed',
] as const;
const RIGHT = new Set(['length', 'code space', 'taken at rate', 'peak active']);

/** The cells of a row; those of a row without figures stop at its reason. */
const cells = (row: Row, lengths: string): Cell[] => {
  const head = [lengths, alphabetName(row.alphabet), row.checkDigit];
  if (!('figures' in row)) return [...head.map((text, i) => ({ text, right: i === 0 })), { text: `n/a: ${row.reason}` }];
  const f = row.figures;
  const full = exhausted(f);
  return [
    ...head,
    `${f.saturated ? '≥ ' : ''}${int(f.codeSpace)}`,
    percent(f.takenShare),
    int(f.peakActiveOrders),
    f.stringPassesCheck === 1 ? 'all' : oneIn(f.stringPassesCheck),
    full ? '—' : oneIn(f.hitOneGuess),
    full ? '—' : oneIn(f.hitWithinLimit),
    typosMissed(f.typos),
  ].map((text, i) => ({ text, right: RIGHT.has(HEADERS[i] ?? '') }));
};

/** Lengths as written on one line: "4-8" when they follow each other, else "4,6,8". */
const span = (lengths: readonly number[]): string => {
  const [first, last] = [lengths[0], lengths[lengths.length - 1]];
  const consecutive = lengths.length > 2 && lengths.every((l, i) => l === (first ?? 0) + i);
  return consecutive ? `${first}-${last}` : lengths.join(',');
};

/** Rows without figures that differ in length only become one line: "4-8  crockford  damm  n/a: …". */
const lines = (rows: readonly Row[]): Cell[][] => {
  const out: { row: Row; lengths: number[] }[] = [];
  for (const row of rows) {
    const last = out[out.length - 1];
    const same =
      last !== undefined &&
      'reason' in row &&
      'reason' in last.row &&
      last.row.reason === row.reason &&
      last.row.area === row.area &&
      last.row.alphabet === row.alphabet &&
      last.row.checkDigit === row.checkDigit;
    if (same) last.lengths.push(row.length);
    else out.push({ row, lengths: [row.length] });
  }
  return out.map(({ row, lengths }) => {
    const line = cells(row, span(lengths));
    return row.area === null ? line : [{ text: row.area }, ...line];
  });
};

/** Aligned columns; a short line (a row without figures) runs its last cell on, unpadded and uncounted. */
const table = (headers: readonly string[], body: readonly Cell[][]): string => {
  const lines = [headers.map((text): Cell => ({ text })), ...body];
  const free = (line: readonly Cell[], i: number): boolean => line.length < headers.length && i === line.length - 1;
  const width = (cell: Cell): number => [...cell.text].length;
  const widths = headers.map((_, i) => Math.max(...lines.map((line) => (line[i] && !free(line, i) ? width(line[i]) : 0))));
  const render = (line: readonly Cell[]): string =>
    line
      .map((cell, i) => {
        const pad = ' '.repeat(free(line, i) ? 0 : Math.max(0, (widths[i] ?? 0) - width(cell)));
        return cell.right === true ? pad + cell.text : cell.text + pad;
      })
      .join('  ')
      .trimEnd();
  return lines.map(render).join('\n');
};

const LEGEND = `code space     codes the generator can issue: N^(length-1) with a check character, N^length without,
               less the trivial codes (000000, 123456...) that pass the check; the core's own count
taken at rate  (codes cooling down + orders live) / code space, with every order live until it expires;
               over 100 %: the area runs out of codes at this rate (503 code_space_exhausted)
peak active    active orders the area holds at the planned fill: fill x code space - codes cooling down
string passes  random strings of this length and alphabet that pass the check character; the others
               are refused before any lookup and do not count towards the attempt limit
guess hits     one code with a valid check character, drawn at random among the issuable codes, is a
               live order's (a driver who knows the scheme sends only such codes)
within limit   max_failed_attempts such codes, all different, hit at least once: the misses a driver
               may have in attempts_window_s before every entry is refused (429 too_many_attempts)
typos missed   single-character substitutions and swaps of neighbours the check character lets through
               (luhn_mod_n: the swap of the alphabet's first and last characters and, when N is odd, the
               substitutions v <-> v+(N-1)/2 at every second position); without a check character every
               typo is looked up, and one that is another live order's code hits as a guess does`;

const scalingText = (sizing: Sizing): string => {
  const s = sizing.scaling;
  const areas = sizing.config === null ? '' : ` (${sizing.rows.length} areas at ${int(sizing.load.ridesPerHour)})`;
  return `Scaling at ${int(s.ridesPerHour)} rides/h${areas}: ${s.requestsPerS.toFixed(1)} requests/s, ${s.writesPerS.toFixed(1)} writes/s
(the benchmark's airport mix: ${MEASURED.requestsPerRide} requests a ride, create, code entry, lookup and 10 status reads; ${MEASURED.writesPerRide} of them write)
  instances      ${s.instances}: one per ${MEASURED.mixRatePerInstance} req/s of that mix (p99 ${MEASURED.mixP99MsAtThatRate} ms; at ${int(MEASURED.mixRateAnswered)} req/s every request
                 was still answered, p99 ${MEASURED.mixP99MsAnswered} ms), and at least 2 so that one can stop
  connections    ${s.connections} = ${s.instances} x (DATABASE_POOL_SIZE ${MEASURED.poolSize} + 1 LISTEN), to keep under PostgreSQL's max_connections
  write ceiling  the one PostgreSQL all instances write to: ${int(MEASURED.databaseCommitsPerS)} one-row commits/s measured there
                 (${int(MEASURED.databaseNotifyingCommitsPerS)}/s when each write notified); the service's own writes were CPU-bound,
                 ${MEASURED.serviceWritesPerS.join('-')} writes/s with service and database on the same 2 cores
Measured: ${MEASURED.source}.`;
};

export const renderText = (sizing: Sizing): string => {
  const { load, rows } = sizing;
  const settings = [
    ...new Set(
      rows.flatMap((row) =>
        'figures' in row ? [`${row.area === null ? '' : `${row.area}: `}${settingsLine(row.policy, row.figures)}`] : [],
      ),
    ),
  ];
  const headers = sizing.config === null ? [...HEADERS] : ['area', ...HEADERS];
  const title = `Code sizing at ${int(load.ridesPerHour)} rides/h per area, planned peak fill ${percent(load.fill)} of the code space${
    sizing.config === null ? '' : `, areas of ${sizing.config}`
  }`;
  return `${[title, ...settings.map((line) => `  ${line}`)].join('\n')}

${table(headers, lines(rows))}

${LEGEND}

${scalingText(sizing)}
`;
};

const typosJson = (typos: TypoCover): Record<string, unknown> => ({
  checked: typos.checked,
  missed_swaps: typos.missedSwaps,
  missed_substitutions: typos.missedSubstitutions,
});

const rowJson = (row: Row): Record<string, unknown> => {
  const head = {
    area: row.area,
    length: row.length,
    alphabet: alphabetName(row.alphabet),
    characters: row.alphabet,
    check_digit: row.checkDigit,
  };
  if (!('figures' in row)) return { ...head, applicable: false, reason: row.reason };
  const { policy: p, figures: f } = row;
  const full = exhausted(f);
  return {
    ...head,
    applicable: true,
    settings: {
      code_reuse_cooldown_s: p.codeReuseCooldownS,
      order_expire_s: p.orderExpireS,
      max_failed_attempts: p.maxFailedAttempts,
      attempts_window_s: p.attemptsWindowS,
      forbid_trivial: p.generator.forbidTrivial,
    },
    code_space: f.codeSpace,
    code_space_saturated: f.saturated,
    cooling_codes: f.coolingCodes,
    live_orders: f.liveOrders,
    taken_share: Number.isFinite(f.takenShare) ? f.takenShare : null,
    exhausted: full,
    peak_active_orders: f.peakActiveOrders,
    string_passes_check: f.stringPassesCheck,
    hit_one_guess: full ? null : f.hitOneGuess,
    hit_within_limit: full ? null : f.hitWithinLimit,
    typos: typosJson(f.typos),
  };
};

export const renderJson = (sizing: Sizing): string =>
  `${JSON.stringify({
    load: { rides_per_hour: sizing.load.ridesPerHour, fill: sizing.load.fill },
    config: sizing.config,
    rows: sizing.rows.map(rowJson),
    scaling: {
      rides_per_hour: sizing.scaling.ridesPerHour,
      requests_per_s: sizing.scaling.requestsPerS,
      writes_per_s: sizing.scaling.writesPerS,
      instances: sizing.scaling.instances,
      connections: sizing.scaling.connections,
      measured: {
        source: MEASURED.source,
        requests_per_ride: MEASURED.requestsPerRide,
        writes_per_ride: MEASURED.writesPerRide,
        requests_per_s_per_instance: MEASURED.mixRatePerInstance,
        pool_size: MEASURED.poolSize,
        database_commits_per_s: MEASURED.databaseCommitsPerS,
        database_notifying_commits_per_s: MEASURED.databaseNotifyingCommitsPerS,
      },
    },
  })}\n`;
