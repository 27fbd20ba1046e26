import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEntryPoint } from '@codedispatch/postgres/testing';

// The entry point itself, in a process of its own: the exit codes reach the shell (runImportMongo: command.test.ts).
// Both entry points: the package's bin and the service's `npm run import-mongo`.
describe.each(['packages/mongo-import/src/cli.ts', 'apps/http/src/cli/import-mongo.ts'])(
  'the import-mongo entry point %s',
  (file) => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'cd-import-cli-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    const run = (args: readonly string[]) =>
      runEntryPoint(file, args, { DATABASE_URL: '', PGLITE_DATA_DIR: join(dir, 'pglite') });

    it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0', async (flag) => {
      const { code, out, err } = await run([flag]);
      expect({ code, err }).toEqual({ code: 0, err: '' });
      expect(out).toMatch(/^Usage: import-mongo --codes <file> /);
    });

    it('--bogus is refused with exit 2 before opening the database', async () => {
      const { code, out, err } = await run(['--codes', 'package.json', '--bogus']);
      expect({ code, out }).toEqual({ code: 2, out: '' });
      expect(err.split('\n').slice(0, 3)).toEqual([
        "import-mongo: Unknown option '--bogus'",
        '',
        expect.stringMatching(/^Usage: import-mongo /),
      ]);
      expect(existsSync(join(dir, 'pglite'))).toBe(false);
    });
  },
);
