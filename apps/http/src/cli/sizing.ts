import * as E from 'fp-ts/Either';
import {
  AREA_DEFAULTS,
  areaSettingsOf,
  CHECK_DIGIT_SCHEMES,
  decodeConfig,
  formatConfigIssues,
  splitConfigDocument,
  type AreaSettings,
  type CheckDigitScheme,
  type ConfigIssue,
} from '@codedispatch/core';
import {
  readCommandLine,
  refuseCommandLine,
  runCommand,
  type CommandStreams,
  type CommandValues,
} from '@codedispatch/postgres/command-line';
import { readConfigDocument } from '../config/load-config';
import { ALPHABETS, scaling, sizeArea, type AreaPolicy, type Load, type Row, type Sizing } from './sizing-figures';
import { renderJson, renderText } from './sizing-report';

/*
 * Code space, fill and guessing odds per code length × alphabet × check
 * scheme (or per area of a configuration document), and scaling figures from
 * the measured benchmarks:
 *
 *   npm run sizing -- [--length 4,5,6,7,8] [--alphabet decimal,crockford] [--check …] [--json]
 */

const DEFAULTS = {
  length: '4,5,6,7,8',
  alphabet: 'decimal,crockford',
  check: 'damm,verhoeff,luhn_mod_n,none',
  fill: 0.5,
  ridesPerHour: 4000,
};

/** The options that set an area's figures, by the document key they stand for. */
const AREA_OPTIONS = {
  'cooldown-s': 'code_reuse_cooldown_s',
  'order-expire-s': 'order_expire_s',
  'max-failed-attempts': 'max_failed_attempts',
  'attempts-window-s': 'attempts_window_s',
} as const;
const AREA_OPTION_NAMES = Object.keys(AREA_OPTIONS) as readonly (keyof typeof AREA_OPTIONS)[];

const PRESETS = Object.entries(ALPHABETS).map(([name, chars]) => `${name} (${chars})`);

const COMMAND = {
  name: 'sizing',
  usage: `Usage: npm run sizing -- [--length <list>] [--alphabet <list>] [--check <list>] [--fill <share>]
         [--rides-per-hour <n>] [--cooldown-s <s>] [--order-expire-s <s>] [--max-failed-attempts <n>]
         [--attempts-window-s <s>] [--config <file>] [--json]

Prints, for each code length × alphabet × check scheme, the code space (the
service's own count), the share of it an area takes at an arrival rate, the
active orders it holds at a planned fill, and the chance that guessed codes
hit a live order; then what the rate asks of instances and PostgreSQL, by the
measured benchmarks (docs/performance.md). See docs/operations.md#sizing.

  --length <list>             code lengths, check character included, 2..16 (default ${DEFAULTS.length})
  --alphabet <list>           ${PRESETS.join(',\n                              ')},
                              or the characters themselves (default ${DEFAULTS.alphabet})
  --check <list>              check schemes (default ${DEFAULTS.check}); one an alphabet
                              cannot take (damm: decimal only) shows n/a
  --fill <share>              share of the code space, active or cooling down, planned at peak
                              (0 < share <= 1, default ${DEFAULTS.fill})
  --rides-per-hour <n>        orders an hour in one area (default ${DEFAULTS.ridesPerHour}, ten times Portland airport's peak)
  --cooldown-s <s>            code_reuse_cooldown_s (default ${AREA_DEFAULTS.codeReuseCooldownS})
  --order-expire-s <s>        order_expire_s, the longest an order stays live (default ${AREA_DEFAULTS.orderExpireS})
  --max-failed-attempts <n>   max_failed_attempts, per driver and area (default ${AREA_DEFAULTS.maxFailedAttempts})
  --attempts-window-s <s>     attempts_window_s (default ${AREA_DEFAULTS.attemptsWindowS})
  --config <file>             a configuration document (YAML or JSON): one row per area, with its
                              own generator and settings; only --fill and --rides-per-hour go with it
  --json                      one JSON object instead of the tables
  -h, --help                  this text

Exit: 0 printed, 1 the configuration document cannot be read or is invalid, 2 usage error.
`,
  options: {
    length: { type: 'string' },
    alphabet: { type: 'string' },
    check: { type: 'string' },
    fill: { type: 'string' },
    'rides-per-hour': { type: 'string' },
    'cooldown-s': { type: 'string' },
    'order-expire-s': { type: 'string' },
    'max-failed-attempts': { type: 'string' },
    'attempts-window-s': { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const;

type Values = CommandValues<typeof COMMAND.options>;

/** A row before its figures. */
type Planned = Omit<Row, 'figures'> & ({ readonly policy: AreaPolicy } | { readonly reason: string });

const messages = (issues: readonly ConfigIssue[]): string => issues.map((i) => i.message).join('; ');

/** A comma-separated option: its items, trimmed, without repeats; none is refused. */
const list = (option: string, value: string): E.Either<string, readonly string[]> => {
  const items = [...new Set(value.split(',').map((s) => s.trim()))].filter((s) => s !== '');
  return items.length > 0 ? E.right(items) : E.left(`--${option} ${JSON.stringify(value)}: expected a comma-separated list`);
};

/** A number as the document would hold it, or the text itself for the codec to name. */
const numeric = (text: string): number | string => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text);

const share = (value: string): E.Either<string, number> => {
  const n = numeric(value);
  return typeof n === 'number' && n > 0 && n <= 1
    ? E.right(n)
    : E.left(`--fill ${JSON.stringify(value)}: expected a share of the code space above 0 and at most 1, such as 0.5`);
};

const rate = (value: string): E.Either<string, number> => {
  const n = numeric(value);
  return typeof n === 'number' && n >= 0
    ? E.right(n)
    : E.left(`--rides-per-hour ${JSON.stringify(value)}: expected a number of orders an hour, 0 or more`);
};

const lengths = (value: string): E.Either<string, readonly number[]> => {
  const items = list('length', value);
  if (E.isLeft(items)) return items;
  const out: number[] = [];
  for (const item of items.right) {
    // The document's own rule (2..16), so a length shown here is one the service accepts.
    const decoded = decodeConfig({ generator: { length: numeric(item), check_digit: 'none' } });
    if (E.isLeft(decoded)) return E.left(`--length ${JSON.stringify(item)}: ${messages(decoded.left)}`);
    out.push(decoded.right.generator.length);
  }
  return E.right(out);
};

const alphabets = (value: string): E.Either<string, readonly string[]> => {
  const items = list('alphabet', value);
  if (E.isLeft(items)) return items;
  const out: string[] = [];
  for (const item of items.right) {
    const alphabet = ALPHABETS[item.toLowerCase()] ?? item;
    const decoded = decodeConfig({ generator: { alphabet, check_digit: 'none' } });
    if (E.isRight(decoded)) {
      out.push(alphabet);
      continue;
    }
    const preset = /^[a-z]+$/.test(item) ? `not a preset (${Object.keys(ALPHABETS).join(', ')}), and as characters: ` : '';
    return E.left(`--alphabet ${JSON.stringify(item)}: ${preset}${messages(decoded.left)}`);
  }
  return E.right([...new Set(out)]);
};

const checks = (value: string): E.Either<string, readonly CheckDigitScheme[]> => {
  const items = list('check', value);
  if (E.isLeft(items)) return items;
  const unknown = items.right.find((item) => !(CHECK_DIGIT_SCHEMES as readonly string[]).includes(item));
  return unknown === undefined
    ? E.right(items.right as readonly CheckDigitScheme[])
    : E.left(`--check ${JSON.stringify(unknown)}: expected one of ${CHECK_DIGIT_SCHEMES.join(', ')}`);
};

/** The area settings the options give, defaults from the service's configuration, checked by its rules. */
const areaOf = (values: Values): E.Either<string, AreaSettings> => {
  const given = AREA_OPTION_NAMES.flatMap((option) => {
    const value = values[option];
    return value === undefined ? [] : [{ option, value, key: AREA_OPTIONS[option] }];
  });
  const decoded = decodeConfig({ areas: { sizing: Object.fromEntries(given.map((g) => [g.key, numeric(g.value)])) } });
  if (E.isRight(decoded)) return E.right(areaSettingsOf(decoded.right, 'sizing'));
  // Every issue is about one of the keys given: the document holds nothing else.
  const refused = given.flatMap(({ option, value, key }) => {
    const issues = decoded.left.filter((i) => i.path.endsWith(`.${key}`));
    return issues.length === 0 ? [] : [`--${option} ${JSON.stringify(value)}: ${messages(issues)}`];
  });
  return E.left(refused.join('; '));
};

/** The rows of every combination of the options, each generator checked as the service checks one. */
const combinations = (values: Values): E.Either<string, readonly Planned[]> => {
  const ls = lengths(values.length ?? DEFAULTS.length);
  if (E.isLeft(ls)) return ls;
  const as = alphabets(values.alphabet ?? DEFAULTS.alphabet);
  if (E.isLeft(as)) return as;
  const cs = checks(values.check ?? DEFAULTS.check);
  if (E.isLeft(cs)) return cs;
  const area = areaOf(values);
  if (E.isLeft(area)) return area;
  const planned = (alphabet: string, checkDigit: CheckDigitScheme, length: number): Planned => {
    const decoded = decodeConfig({ generator: { length, alphabet, check_digit: checkDigit } });
    const row = { area: null, length, alphabet, checkDigit };
    return E.isLeft(decoded)
      ? { ...row, reason: messages(decoded.left) }
      : { ...row, policy: { ...area.right, generator: decoded.right.generator } };
  };
  return E.right(as.right.flatMap((a) => cs.right.flatMap((c) => ls.right.map((l) => planned(a, c, l)))));
};

/** One row per area of the document (the top-level generator with the area defaults when it has none). */
const areasOf = (path: string): E.Either<string, readonly Planned[]> => {
  const document = readConfigDocument(path);
  // The service's own sections (auth, tracker, sinks) say nothing about codes: only the domain's part is read.
  const decoded = E.isLeft(document) ? document : decodeConfig(splitConfigDocument(document.right).domain);
  if (E.isLeft(decoded)) return E.left(`--config ${path} is refused:\n${formatConfigIssues(decoded.left)}`);
  const config = decoded.right;
  const areas = Object.values(config.areas);
  return E.right(
    (areas.length > 0 ? areas : [areaSettingsOf(config, '(any area)')]).map((area) => ({
      area: area.areaId,
      length: area.generator.length,
      alphabet: area.generator.alphabet,
      checkDigit: area.generator.checkDigit,
      policy: area,
    })),
  );
};

const withFigures =
  (load: Load) =>
  (row: Planned): Row =>
    'policy' in row ? { ...row, figures: sizeArea(row.policy, load) } : row;

export const main = async (argv: readonly string[] = process.argv.slice(2), io: CommandStreams = process): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const { values } = line.right;
  const fill = share(values.fill ?? String(DEFAULTS.fill));
  if (E.isLeft(fill)) return refuseCommandLine(COMMAND, io, fill.left);
  const ridesPerHour = rate(values['rides-per-hour'] ?? String(DEFAULTS.ridesPerHour));
  if (E.isLeft(ridesPerHour)) return refuseCommandLine(COMMAND, io, ridesPerHour.left);
  const config = values.config ?? null;
  if (config !== null) {
    const clash = (['length', 'alphabet', 'check', ...AREA_OPTION_NAMES] as const).find((o) => values[o] !== undefined);
    if (clash !== undefined)
      return refuseCommandLine(COMMAND, io, `--${clash} cannot be used with --config: each area's own settings are sized`);
  }
  let planned: readonly Planned[];
  if (config === null) {
    const rows = combinations(values);
    if (E.isLeft(rows)) return refuseCommandLine(COMMAND, io, rows.left);
    planned = rows.right;
  } else {
    const rows = areasOf(config);
    if (E.isLeft(rows)) {
      io.stderr.write(`sizing: ${rows.left}\n`);
      return 1;
    }
    planned = rows.right;
  }
  const load: Load = { fill: fill.right, ridesPerHour: ridesPerHour.right };
  const areaCount = config === null ? 1 : planned.length;
  const sizing: Sizing = {
    load,
    config,
    rows: planned.map(withFigures(load)),
    scaling: scaling(load.ridesPerHour * areaCount),
  };
  io.stdout.write(values.json === true ? renderJson(sizing) : renderText(sizing));
  return 0;
};

if (require.main === module) runCommand(main);
