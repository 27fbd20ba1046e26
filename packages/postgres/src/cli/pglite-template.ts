import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import * as E from 'fp-ts/Either';
import { defaultTemplateCacheDir, pgliteTemplate, pgliteTemplateFile } from '../pglite-template';
import { readCommandLine, runCommand, type CommandStreams } from './command-line';

/*
 * Makes the template new PGlite databases start from (see pglite-template.ts),
 * unless it is there already. The last step of `npm run build`.
 *
 *   node packages/postgres/dist/cli/pglite-template.js [-- --help]
 */

const COMMAND = {
  name: 'pglite-template',
  usage: `Usage: node packages/postgres/dist/cli/pglite-template.js [DIR] [-h | --help]

Makes the template a new embedded PGlite database starts from (a freshly
initialised PGlite data directory, for the installed PGlite version), unless
DIR has it already. Quiet when it has; prints the file when it made it.
npm run build runs it.

  DIR          where templates are kept (default node_modules/.cache/codedispatch)
  -h, --help   this text

Exit: 0 the template is there, or could not be written (a warning says why;
a build does not fail over a cache: a new database then makes the template
itself), 1 PGlite could not make it, 2 usage error.
`,
  options: {},
  positionals: 1,
} as const;

export const main = async (argv: readonly string[] = process.argv.slice(2), io: CommandStreams = process): Promise<number> => {
  const line = readCommandLine(COMMAND, argv, io);
  if (E.isLeft(line)) return line.left;
  const cacheDir = line.right.positionals[0] ?? defaultTemplateCacheDir();
  const file = pgliteTemplateFile(cacheDir);
  if (existsSync(file)) return 0;
  const started = performance.now();
  let failure: unknown;
  await pgliteTemplate(cacheDir, (e) => (failure = e));
  if (failure !== undefined) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    io.stderr.write(
      `${COMMAND.name}: warning: could not write ${file} (${reason}); a new database will make the template itself\n`,
    );
    return 0;
  }
  const mb = (statSync(file).size / 1e6).toFixed(1);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  io.stdout.write(`${COMMAND.name}: made ${relative(process.cwd(), file)} (${mb} MB) in ${seconds} s\n`);
  return 0;
};

if (require.main === module) runCommand(main);
