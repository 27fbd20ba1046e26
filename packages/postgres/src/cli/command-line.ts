import { parseArgs } from 'node:util';
import * as E from 'fp-ts/Either';

/*
 * The command line of every command of the project (migrate, import-mongo,
 * token, demo, the benchmarks), read one way: Node's `parseArgs` in strict
 * mode, plus `-h`/`--help`. It lives here because this is the lowest package
 * all of them depend on.
 */

/** Exit code of a refused command line (an unknown option, a missing value, a stray argument…). */
export const EXIT_USAGE = 2;

/** Where a command writes: `process`, or a test's recorder. */
export interface CommandStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

export interface CommandOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
}

export interface CommandSpec<O extends Readonly<Record<string, CommandOption>>> {
  /** First word of the command's messages. */
  readonly name: string;
  /** Printed by `--help` on stdout, and after a refusal on stderr; it should mention `-h, --help`. */
  readonly usage: string;
  /** The options besides `--help`. */
  readonly options: O;
  /** How many positional arguments the command takes at most (default none). */
  readonly positionals?: number;
}

export type CommandValues<O extends Readonly<Record<string, CommandOption>>> = {
  readonly [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean;
};

export interface CommandLine<O extends Readonly<Record<string, CommandOption>>> {
  readonly values: CommandValues<O>;
  readonly positionals: readonly string[];
}

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

/** Refuses the command line: `<name>: <message>`, a blank line and the usage on stderr. Returns `EXIT_USAGE`. */
export const refuseCommandLine = <O extends Readonly<Record<string, CommandOption>>>(
  spec: CommandSpec<O>,
  io: CommandStreams,
  message: string,
): number => {
  io.stderr.write(`${spec.name}: ${message}\n\n${withNewline(spec.usage)}`);
  return EXIT_USAGE;
};

/**
 * Reads `argv`: right with the values when the command may run; left with
 * the exit code when it is answered already — `-h`/`--help`: the usage on
 * stdout, 0; an unknown option, an option without its value (or with one it
 * does not take) or one argument too many: refused, `EXIT_USAGE`.
 */
export const readCommandLine = <O extends Readonly<Record<string, CommandOption>>>(
  spec: CommandSpec<O>,
  argv: readonly string[],
  io: CommandStreams,
): E.Either<number, CommandLine<O>> => {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    // Not `instanceof Error`: under jest the error comes from another realm.
    const message = String((e as { message?: unknown }).message ?? e)
      .replace(/\. To specify a positional argument starting with.*$/s, '') // after an unknown option
      .replace(/\s*\n\s*/g, ' '); // some messages run over several lines: one here
    return E.left(refuseCommandLine(spec, io, message));
  }
  if (parsed.values.help === true) {
    io.stdout.write(withNewline(spec.usage));
    return E.left(0);
  }
  const stray = parsed.positionals[spec.positionals ?? 0];
  if (stray !== undefined) return E.left(refuseCommandLine(spec, io, `Unexpected argument '${stray}'`));
  const { help: _help, ...values } = parsed.values;
  // Strict parsing gave each option the type its spec names.
  return E.right({ values: values as CommandValues<O>, positionals: parsed.positionals });
};

/**
 * Runs a command's `main` as the process's entry point: its result is the
 * exit code; a crash is printed with its stack and exits 1.
 */
export const runCommand = (main: () => Promise<number>): void => {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
};
