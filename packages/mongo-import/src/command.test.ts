import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { at, raw, tmpDir, writeJsonLines, type DocEntry } from './__tests__/fixtures';
import { EXIT, runImportMongo } from './command';
import { InMemoryLegacyAssignmentSink } from './in-memory-sink';
import type { OpenSink, OpenSinkOptions } from './sink';

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const NOW = at('2026-11-26T10:00:00.000Z');
const doc = (d: Record<string, unknown>): DocEntry => ({ doc: d });

interface World {
  readonly dir: string;
  readonly sink: InMemoryLegacyAssignmentSink;
  readonly opened: OpenSinkOptions[];
  closed: number;
}

const world = (): World => ({ dir: tmpDir(), sink: new InMemoryLegacyAssignmentSink(), opened: [], closed: 0 });

const opener =
  (w: World): OpenSink =>
  (options) => {
    w.opened.push(options);
    return Promise.resolve({
      sink: w.sink,
      target: 'memory',
      close: () => {
        w.closed++;
        return Promise.resolve();
      },
    });
  };

const cli = async (w: World, argv: string[], env: Record<string, string> = {}, openSink: OpenSink = opener(w)) => {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runImportMongo(argv, { stdout, stderr, env, cwd: w.dir, now: () => NOW }, openSink);
  return { code, stdout: stdout.text, stderr: stderr.text };
};

const report = (stdout: string): Record<string, unknown> => JSON.parse(stdout) as Record<string, unknown>;

/** The counts of the text report: its lines `<label> <number> …`, by label. */
const counts = (stdout: string): Record<string, number> =>
  Object.fromEntries([...stdout.matchAll(/^([a-z_]+) +(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]));

/** codes.jsonl with two good codes (svo_d, zenit), assignments.jsonl with one assignment. */
const goodDumps = (w: World): void => {
  writeJsonLines(join(w.dir, 'codes.jsonl'), [
    doc({ order_id: 'o1', code: '482 913', zone_id: 'svo_d', created: at('2026-11-26T09:50:00Z') }),
    doc({ order_id: 'o2', code: '111222', zone_id: 'zenit', created: at('2026-11-26T09:50:00Z') }),
  ]);
  writeJsonLines(join(w.dir, 'assignments.jsonl'), [
    doc({ order_id: 'o1', driver_id: 'd1', park_id: 'p1', status: 'assigned', updated: at('2026-11-26T09:55:00Z') }),
  ]);
};

const CONFIG_YAML = 'areas:\n  svo_d:\n    order_expire_s: 1800\n';

describe('import-mongo', () => {
  it("imports, prints the report on stdout under SPEC's labels, progress on stderr, exits 0", async () => {
    const w = world();
    goodDumps(w);
    writeFileSync(join(w.dir, 'config.yaml'), CONFIG_YAML);
    const run = await cli(w, ['--codes', 'codes.jsonl', '--assignments', 'assignments.jsonl', '--config', 'config.yaml']);
    expect(run.code).toBe(EXIT.ok);
    expect(counts(run.stdout)).toEqual({
      read: 3,
      imported: 2,
      merged: 1,
      skipped: 0,
      rejected: 0,
      unknown_areas: 1,
      duplicates: 0,
    });
    expect(run.stdout).toMatch(/^unknown_areas +1 +zenit \(1 record\)$/m);
    expect(run.stdout).not.toContain('documents read');
    expect(run.stderr).toContain('documents read');
    expect(w.sink.records.size).toBe(2);
    expect(w.opened).toEqual([{ env: {}, dryRun: false }]);
    expect(w.closed).toBe(1);
    // No reject, no reject file.
    expect(readdirSync(w.dir).filter((f) => f.startsWith('rejects-'))).toEqual([]);
  });

  it('--json prints the report as one JSON object on stdout, progress on stderr only', async () => {
    const w = world();
    goodDumps(w);
    writeFileSync(join(w.dir, 'config.yaml'), CONFIG_YAML);
    const run = await cli(w, [
      '--codes',
      'codes.jsonl',
      '--assignments',
      'assignments.jsonl',
      '--config',
      'config.yaml',
      '--json',
    ]);
    expect(run.code).toBe(EXIT.ok);
    expect(report(run.stdout)).toEqual({
      dry_run: false,
      read: 3,
      imported: 2,
      merged: 1,
      skipped: 0,
      rejected: 0,
      unknown_areas: 1,
      duplicates: 0,
      records_by_unknown_area: { zenit: 1 },
      rejects_file: null,
      config: 'config.yaml',
    });
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('documents read');
    expect(w.sink.records.size).toBe(2);
  });

  it('takes the configuration from CODEDISPATCH_CONFIG, and says when there is none', async () => {
    const w = world();
    goodDumps(w);
    writeFileSync(join(w.dir, 'config.yaml'), CONFIG_YAML);
    const configured = await cli(w, ['--codes', 'codes.jsonl', '--json'], { CODEDISPATCH_CONFIG: join(w.dir, 'config.yaml') });
    expect(report(configured.stdout)).toMatchObject({ unknown_areas: 1, records_by_unknown_area: { zenit: 1 } });

    const bare = await cli(world(), ['--codes', join(w.dir, 'codes.jsonl'), '--json']);
    expect(bare.code).toBe(EXIT.ok);
    expect(report(bare.stdout)).toMatchObject({
      unknown_areas: 2,
      records_by_unknown_area: { svo_d: 1, zenit: 1 },
      config: null,
    });
    expect(bare.stderr).toContain('no configuration (--config or CODEDISPATCH_CONFIG): built-in defaults, no configured areas');
  });

  it('writes the rejects as JSON lines and exits 1, again on a re-run that rejects again', async () => {
    const w = world();
    writeJsonLines(join(w.dir, 'codes.jsonl'), [
      doc({ order_id: 'o1', code: '1', zone_id: 'svo_d', created: at('2026-11-26T09:50:00Z') }),
      raw('not json'),
    ]);
    writeJsonLines(join(w.dir, 'assignments.jsonl'), [doc({ order_id: 'o9', status: 'pending' })]);
    const args = ['--codes', 'codes.jsonl', '--assignments', 'assignments.jsonl', '--rejects', 'out/../rejects.jsonl', '--json'];

    const first = await cli(w, args);
    expect(first.code).toBe(EXIT.rejected);
    expect(report(first.stdout)).toMatchObject({ read: 3, imported: 1, rejected: 2, rejects_file: join(w.dir, 'rejects.jsonl') });
    const lines = readFileSync(join(w.dir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { file: join(w.dir, 'codes.jsonl'), line: 2, reason: expect.stringMatching(/^not a JSON document: /), raw: 'not json' },
      {
        file: join(w.dir, 'assignments.jsonl'),
        line: 1,
        reason: 'assignment without a code document',
        order_id: 'o9',
        raw: expect.any(String),
      },
    ]);

    const second = await cli(w, args);
    expect(second.code).toBe(EXIT.rejected);
    expect(report(second.stdout)).toMatchObject({ read: 3, imported: 0, skipped: 1, rejected: 2 });
    expect(readFileSync(join(w.dir, 'rejects.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it.each([[[]], [['--json']]])('exits 1 when anything was rejected (%j)', async (mode) => {
    const w = world();
    writeJsonLines(join(w.dir, 'codes.jsonl'), [raw('{')]);
    const run = await cli(w, ['--codes', 'codes.jsonl', ...mode]);
    expect(run.code).toBe(EXIT.rejected);
    const rejected = mode.length === 0 ? counts(run.stdout).rejected : report(run.stdout).rejected;
    expect(rejected).toBe(1);
  });

  it('names the default reject file after the time of the run', async () => {
    const w = world();
    writeJsonLines(join(w.dir, 'codes.jsonl'), [raw('{')]);
    const run = await cli(w, ['--codes', 'codes.jsonl']);
    expect(run.code).toBe(EXIT.rejected);
    expect(existsSync(join(w.dir, 'rejects-2026-11-26T10-00-00-000Z.jsonl'))).toBe(true);
    expect(run.stdout).toMatch(/^rejected +1 +→ .*rejects-2026-11-26T10-00-00-000Z\.jsonl$/m);
  });

  it('uses the fallback configuration when none is named', async () => {
    const w = world();
    goodDumps(w);
    const stdout = new Collect();
    const stderr = new Collect();
    const fallback = { name: 'the demo configuration', document: { areas: { svo_d: {}, zenit: {} } } };
    const code = await runImportMongo(
      ['--codes', 'codes.jsonl', '--json'],
      { stdout, stderr, env: {}, cwd: w.dir, now: () => NOW },
      opener(w),
      fallback,
    );
    expect(code).toBe(EXIT.ok);
    expect(report(stdout.text)).toMatchObject({ unknown_areas: 0, records_by_unknown_area: {} });
    expect(stderr.text).toContain('using the demo configuration');
  });

  it('an explicit reject file is created even when nothing is rejected', async () => {
    const w = world();
    goodDumps(w);
    const run = await cli(w, ['--codes', 'codes.jsonl', '--rejects', 'r.jsonl']);
    expect(run.code).toBe(EXIT.ok);
    expect(readFileSync(join(w.dir, 'r.jsonl'), 'utf8')).toBe('');
  });

  it('a dry run opens the store as such and writes nothing', async () => {
    const w = world();
    goodDumps(w);
    const run = await cli(w, ['--codes', 'codes.jsonl', '--assignments', 'assignments.jsonl', '--dry-run']);
    expect(run.code).toBe(EXIT.ok);
    expect(counts(run.stdout)).toMatchObject({ imported: 2, merged: 1 });
    expect(run.stdout).toContain('DRY RUN, nothing written');
    const json = await cli(w, ['--codes', 'codes.jsonl', '--assignments', 'assignments.jsonl', '--dry-run', '--json']);
    expect(report(json.stdout)).toMatchObject({ dry_run: true, imported: 2, merged: 1 });
    expect(w.opened).toEqual([
      { env: {}, dryRun: true },
      { env: {}, dryRun: true },
    ]);
    expect(w.sink.writes).toBe(0);
  });

  it('shows progress as lines when stderr is not a terminal', async () => {
    const w = world();
    goodDumps(w);
    const run = await cli(w, ['--codes', 'codes.jsonl', '--assignments', 'assignments.jsonl']);
    expect(run.stderr).toContain('import-mongo: codes: 2 documents read (');
    expect(run.stderr).toContain('import-mongo: assignments: 3 documents read (100% of the bytes)');
    expect(run.stderr).toContain('import-mongo: merging: by order_id, 3 documents read');
    expect(run.stderr).toContain('import-mongo: writing: 0 of 2 records (0%)');
    expect(run.stderr).toContain('import-mongo: writing: 2 of 2 records (100%)');
  });

  it.each([
    [[], '--codes <file> is required'],
    [['--codes'], "Option '--codes <value>' argument missing"],
    [['--codes', 'codes.jsonl', '--bogus'], "Unknown option '--bogus'"],
    [['--codes', 'codes.jsonl', '--json=yes'], "Option '--json' does not take an argument"],
    [['--codes', 'codes.jsonl', 'extra'], 'Unexpected argument'],
    [['--codes', 'missing.jsonl'], '--codes '],
    [['--codes', 'codes.jsonl', '--assignments', '.'], 'not a file'],
  ])('exits 2 on a usage error: %j', async (argv, message) => {
    const w = world();
    goodDumps(w);
    const run = await cli(w, argv);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stdout).toBe('');
    const [first, blank] = run.stderr.split('\n');
    expect(first).toMatch(/^import-mongo: /);
    expect(first).toContain(message);
    expect(blank).toBe('');
    expect(run.stderr).toContain('Usage: import-mongo');
    expect(w.opened).toEqual([]);
  });

  it('exits 2 on an invalid configuration, listing its issues', async () => {
    const w = world();
    goodDumps(w);
    writeFileSync(join(w.dir, 'bad.yaml'), 'areas:\n  svo_d:\n    order_expire_s: -1\n    colour: red\n');
    const run = await cli(w, ['--codes', 'codes.jsonl', '--config', 'bad.yaml']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('is invalid');
    expect(run.stderr).toContain('areas.svo_d.order_expire_s');
    expect(run.stderr).toContain('colour');
    expect(w.opened).toEqual([]);
  });

  it.each([['--help'], ['-h']])('%s prints the usage on stdout and exits 0, opening nothing', async (flag) => {
    const w = world();
    const run = await cli(w, [flag]);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toBe('');
    expect(w.opened).toEqual([]);
    expect(run.stdout).toContain('Usage: import-mongo --codes <file>');
    expect(run.stdout).toContain('--json');
  });

  it('exits 3 when the store cannot be opened or fails on the way', async () => {
    const w = world();
    goodDumps(w);
    const down = await cli(w, ['--codes', 'codes.jsonl'], {}, () => Promise.reject(new Error('connection refused')));
    expect(down.code).toBe(EXIT.failed);
    expect(down.stderr).toContain('cannot open the database: connection refused');

    w.sink.write = () => Promise.reject(new Error('disk full'));
    const failing = await cli(w, ['--codes', 'codes.jsonl']);
    expect(failing.code).toBe(EXIT.failed);
    expect(failing.stderr).toContain('the import stopped: disk full');
    expect(failing.stdout).toBe('');
    expect(w.closed).toBe(1);
  });
});
