import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as E from 'fp-ts/Either';
import { parse as parseYaml } from 'yaml';
import { decodeConfig, formatConfigIssues, splitConfigDocument, type DispatchConfig } from '@codedispatch/core';
import { EXIT_USAGE, readCommandLine, refuseCommandLine } from '@codedispatch/postgres/command-line';
import { importMongoDump, type ImportReport } from './import';
import { progressDisplay } from './progress';
import { JsonLinesFile } from './reject-file';
import type { OpenSink } from './sink';

/** Exit codes of `import-mongo`. */
export const EXIT = { ok: 0, rejected: 1, usage: EXIT_USAGE, failed: 3 } as const;

export const USAGE = `Usage: import-mongo --codes <file> [--assignments <file>] [--dry-run] [--rejects <file>] [--config <file>] [--json]

Imports mongoexport dumps (JSON lines or --jsonArray, relaxed or canonical
Extended JSON) of code_dispatch_codes (--codes) and code_dispatch_assignments
(--assignments) into code_dispatch.assignments, merged by order_id.

  --codes <file>        code_dispatch_codes dump (required)
  --assignments <file>  code_dispatch_assignments dump (without it, every code stands alone)
  --dry-run             read, map and compare with the database; write nothing
  --rejects <file>      reject file, JSON lines (default ./rejects-<timestamp>.jsonl, created on the first reject)
  --config <file>       configuration document, YAML or JSON (default $CODEDISPATCH_CONFIG; none: built-in defaults)
  --json                the report as one JSON object on stdout (default: one line per count)
  -h, --help            this text

Database: DATABASE_URL, else the embedded PGlite in PGLITE_DATA_DIR (default ./.data/pglite).
Report on stdout, one line per count: read, imported, merged, skipped, rejected,
unknown_areas, duplicates. Progress and notes go to stderr. Exit: 0 done,
1 something was rejected, 2 usage or configuration error, 3 the import stopped
(re-run it: it is idempotent).
`;

export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves relative paths; default `process.cwd()`. */
  readonly cwd?: string;
  readonly now?: () => Date;
}

interface Arguments {
  readonly codes: string;
  readonly assignments: string | null;
  readonly dryRun: boolean;
  readonly rejects: string | null;
  readonly config: string | null;
  readonly json: boolean;
}

const COMMAND = {
  name: 'import-mongo',
  usage: USAGE,
  options: {
    codes: { type: 'string' },
    assignments: { type: 'string' },
    'dry-run': { type: 'boolean' },
    rejects: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const;

/** The arguments, or the exit code once `--help` is answered or the command line refused. */
const readArguments = (argv: readonly string[], io: CommandIo): E.Either<number, Arguments> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line;
  const values = line.right.values;
  if (values.codes === undefined || values.codes === '')
    return E.left(refuseCommandLine(COMMAND, io, '--codes <file> is required'));
  return E.right({
    codes: values.codes,
    assignments: values.assignments ?? null,
    dryRun: values['dry-run'] === true,
    rejects: values.rejects ?? null,
    config: values.config ?? null,
    json: values.json === true,
  });
};

/** Size of a readable dump file, or why it cannot be used. */
const dumpSize = async (option: string, path: string): Promise<E.Either<string, number>> => {
  try {
    const s = await stat(path);
    return s.isFile() ? E.right(s.size) : E.left(`${option} ${path}: not a file`);
  } catch (e) {
    return E.left(`${option} ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
};

/** The configuration from a YAML/JSON file, or the built-in defaults (no configured areas) when none is given. */
const loadConfig = async (path: string | null): Promise<E.Either<string, DispatchConfig>> => {
  let document: unknown = {};
  if (path !== null) {
    try {
      document = parseYaml(await readFile(path, 'utf8'));
    } catch (e) {
      return E.left(`configuration ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // The service's own sections (auth, tracker, sinks) are not the import's business: only the domain's part is read.
  const config = decodeConfig(splitConfigDocument(document ?? {}).domain);
  return E.isLeft(config)
    ? E.left(`configuration ${path ?? '(built-in)'} is invalid:\n${formatConfigIssues(config.left)}`)
    : E.right(config.right);
};

/** Areas named in the text report; `--json` has them all. */
const REPORT_AREAS = 20;

/** The report with `--json`: one object, in the names of SPEC §9. */
const jsonReport = (report: ImportReport, rejectsFile: string | null, config: string | null): string =>
  `${JSON.stringify({ ...report, rejects_file: rejectsFile, config })}\n`;

/** The report without `--json`: a title, then `<label> <count>  <note>` per count, labelled as in SPEC §9. */
const textReport = (report: ImportReport, rejectsFile: string | null, target: string): string => {
  const areas = Object.entries(report.records_by_unknown_area);
  const named = areas.slice(0, REPORT_AREAS).map(([a, n]) => `${a} (${n} record${n === 1 ? '' : 's'})`);
  if (areas.length > REPORT_AREAS) named.push(`… ${areas.length - REPORT_AREAS} more`);
  const rows: readonly (readonly [keyof ImportReport, number, string])[] = [
    ['read', report.read, 'documents, both files'],
    ['imported', report.imported, report.dry_run ? 'records that would be written' : 'records written'],
    ['merged', report.merged, 'records built from a code and an assignment document (imported or skipped)'],
    ['skipped', report.skipped, 'records already present'],
    ['rejected', report.rejected, rejectsFile !== null ? `→ ${rejectsFile}` : ''],
    ['unknown_areas', report.unknown_areas, named.join(', ')],
    ['duplicates', report.duplicates, 'identical second code documents, ignored'],
  ];
  const width = Math.max(...rows.map(([, n]) => String(n).length));
  const lines = rows.map(([label, n, note]) => `${label.padEnd(14)} ${String(n).padStart(width)}  ${note}`.trimEnd());
  return `import-mongo report: ${report.dry_run ? 'DRY RUN, nothing written — ' : ''}${target}\n${lines.join('\n')}\n`;
};

/** The configuration used when none is named: its name for messages, and the document. */
export interface FallbackConfig {
  readonly name: string;
  readonly document: unknown;
}

/**
 * `import-mongo` (SPEC §9) with its world passed in: the streams, the
 * environment and how to open the sink. Resolves to the exit code.
 */
export const runImportMongo = async (
  argv: readonly string[],
  io: CommandIo,
  openSink: OpenSink,
  fallback?: FallbackConfig,
): Promise<number> => {
  const say = (text: string): void => void io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

  const args = readArguments(argv, io);
  if (E.isLeft(args)) return args.left;
  const cwd = io.cwd ?? process.cwd();
  const codes = resolve(cwd, args.right.codes);
  const assignments = args.right.assignments === null ? null : resolve(cwd, args.right.assignments);
  const sizes = [
    await dumpSize('--codes', codes),
    ...(assignments === null ? [] : [await dumpSize('--assignments', assignments)]),
  ];
  let totalBytes = 0;
  for (const size of sizes) {
    if (E.isLeft(size)) return refuseCommandLine(COMMAND, io, size.left);
    totalBytes += size.right;
  }

  const configPath = args.right.config ?? (io.env.CODEDISPATCH_CONFIG || null);
  const config =
    configPath === null && fallback !== undefined
      ? E.mapLeft((issues: readonly { path: string; message: string }[]) => formatConfigIssues(issues))(
          decodeConfig(splitConfigDocument(fallback.document).domain),
        )
      : await loadConfig(configPath === null ? null : resolve(cwd, configPath));
  if (E.isLeft(config)) {
    say(`import-mongo: ${config.left}`);
    return EXIT.usage;
  }
  if (configPath === null && fallback !== undefined) {
    say(`import-mongo: no configuration (--config or CODEDISPATCH_CONFIG): using ${fallback.name}`);
  } else if (configPath === null) {
    say(
      'import-mongo: no configuration (--config or CODEDISPATCH_CONFIG): built-in defaults, no configured areas — every area is counted in unknown_areas and expires codes after the default order_expire_s (1800 s)',
    );
  }

  const now = io.now?.() ?? new Date();
  const rejects = new JsonLinesFile(
    resolve(cwd, args.right.rejects ?? `rejects-${now.toISOString().replace(/[:.]/g, '-')}.jsonl`),
    { lazy: args.right.rejects === null },
  );
  const progress = progressDisplay(io.stderr, totalBytes);
  let opened;
  try {
    opened = await openSink({ env: io.env, dryRun: args.right.dryRun });
  } catch (e) {
    progress.stop();
    await rejects.close();
    say(`import-mongo: cannot open the database: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }

  try {
    const report = await importMongoDump({
      codes,
      assignments,
      sink: opened.sink,
      config: config.right,
      now,
      dryRun: args.right.dryRun,
      onReject: (entry) => rejects.write(entry),
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    await rejects.close();
    const rejectsFile = rejects.created ? rejects.path : null;
    io.stdout.write(
      args.right.json ? jsonReport(report, rejectsFile, configPath) : textReport(report, rejectsFile, opened.target),
    );
    return report.rejected > 0 ? EXIT.rejected : EXIT.ok;
  } catch (e) {
    progress.stop();
    await rejects.close();
    say(
      `import-mongo: the import stopped: ${e instanceof Error ? e.message : String(e)}\n` +
        '  what was written so far stays; fix the cause and run the same command again (it skips what is present)',
    );
    return EXIT.failed;
  } finally {
    await opened.close();
  }
};
