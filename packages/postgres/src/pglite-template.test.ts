import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { main as templateCli } from './cli/pglite-template';
import { openDatabase } from './connect';
import { migrateToLatest, MIGRATIONS } from './migrations';
import { createPglite, extractTar, pgliteTemplate, pgliteTemplateFile, placeDataDir } from './pglite-template';
import { recordedStreams } from './testing';
import { OPEN_TIMEOUT_MS } from './testing/test-database';

/** A PGlite created on `dir` (the template from `cache`, default the shared one), closed after `use`. */
const onPglite = async <T>(
  dir: string | undefined,
  cache: string | undefined,
  use: (pglite: Awaited<ReturnType<typeof createPglite>>) => Promise<T>,
): Promise<T> => {
  const pglite = await createPglite(dir, cache);
  try {
    return await use(pglite);
  } finally {
    await pglite.close();
  }
};

const ROOT = join(__dirname, '../../..');

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cd-pglite-template-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fresh = (name: string): string => join(scratch, name);

/** A template made like the real one, with a table `marker` in it: a database made from it shows where it came from. */
const markedTemplate = async (): Promise<Uint8Array> => {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create();
  try {
    await pglite.exec('create table marker (id int); checkpoint');
    return new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer());
  } finally {
    await pglite.close();
  }
};

const hasMarker = async (pglite: { query<T>(q: string): Promise<{ rows: T[] }> }): Promise<boolean> =>
  (await pglite.query<{ found: boolean }>(`select to_regclass('public.marker') is not null as found`)).rows[0]!.found;

/** Partly written directories or files left behind (their names end in `.partial…`). */
const leftovers = (dir: string): string[] => readdirSync(dir).filter((name) => name.includes('.partial'));

describe('a new PGlite data directory', () => {
  it(
    'starts from the template, without a schema: the migrations run on it, it takes writes and keeps them across a restart',
    async () => {
      const dir = fresh('new/.data/pglite');
      const first = await openDatabase({ pgliteDataDir: dir });
      try {
        const { rows } = await sql<{
          found: boolean;
        }>`select to_regclass('code_dispatch.assignments') is not null as found`.execute(first.db);
        expect(rows[0]!.found).toBe(false);
        expect((await migrateToLatest(first.db)).applied).toEqual(Object.keys(MIGRATIONS));
        await sql`create table kept (id int)`.execute(first.db);
        await sql`insert into kept values (1), (2)`.execute(first.db);
      } finally {
        await first.close();
      }
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
      expect(leftovers(join(dir, '..'))).toEqual([]);

      const again = await openDatabase({ pgliteDataDir: dir });
      try {
        expect((await migrateToLatest(again.db)).applied).toEqual([]);
        const kept = await sql<{ id: number }>`select id from kept order by id`.execute(again.db);
        expect(kept.rows.map((r) => r.id)).toEqual([1, 2]);
      } finally {
        await again.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'is made an empty directory already there',
    async () => {
      const dir = fresh('empty');
      mkdirSync(dir);
      const handle = await openDatabase({ pgliteDataDir: dir });
      try {
        await expect(handle.ping()).resolves.toBe(true);
      } finally {
        await handle.close();
      }
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    },
    OPEN_TIMEOUT_MS,
  );
});

describe('the template cache', () => {
  let marked: Uint8Array;
  beforeAll(async () => {
    marked = await markedTemplate();
  }, OPEN_TIMEOUT_MS);

  it(
    'is what a new database starts from, on disk and in memory; an existing data directory is not touched',
    async () => {
      const cache = fresh('cache-marked');
      mkdirSync(cache);
      writeFileSync(pgliteTemplateFile(cache), gzipSync(marked));
      const dir = fresh('from-marked');
      const onDisk = await createPglite(dir, cache);
      try {
        expect(await hasMarker(onDisk)).toBe(true);
        await onDisk.exec('drop table marker');
      } finally {
        await onDisk.close();
      }
      const reopened = await createPglite(dir, cache);
      try {
        expect(await hasMarker(reopened)).toBe(false);
      } finally {
        await reopened.close();
      }
      const inMemory = await createPglite(undefined, cache);
      try {
        expect(await hasMarker(inMemory)).toBe(true);
      } finally {
        await inMemory.close();
      }
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'never uses a template of another PGlite version or format: the command makes the right one, then is quiet',
    async () => {
      const cache = fresh('cache-other');
      mkdirSync(cache);
      const file = pgliteTemplateFile(cache);
      const stale = [
        file.replace(/pglite-[^/]+-t(\d+)\.tar\.gz$/, 'pglite-0.0.1-t$1.tar.gz'),
        file.replace(/-t\d+\.tar\.gz$/, '-t0.tar.gz'),
      ];
      for (const other of stale) writeFileSync(other, gzipSync(marked));

      const made = recordedStreams();
      expect(await templateCli([cache], made)).toBe(0);
      expect(made.out).toMatch(/^pglite-template: made .*pglite-.*\.tar\.gz \([\d.]+ MB\) in [\d.]+ s\n$/);
      expect(made.err).toBe('');
      expect(existsSync(file)).toBe(true);
      expect(readdirSync(cache).sort()).toEqual([...stale, file].map((f) => f.slice(cache.length + 1)).sort());

      const quiet = recordedStreams();
      expect(await templateCli([cache], quiet)).toBe(0);
      expect(quiet.out + quiet.err).toBe('');

      await onPglite(fresh('from-other'), cache, async (pglite) => {
        expect(await hasMarker(pglite)).toBe(false);
      });
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'made by two at once holds one whole template and nothing partly written',
    async () => {
      const cache = fresh('cache-race');
      const [a, b] = await Promise.all([pgliteTemplate(cache), pgliteTemplate(cache)]);
      const stored = gunzipSync(readFileSync(pgliteTemplateFile(cache)));
      expect([a, b].some((t) => Buffer.compare(Buffer.from(t), stored) === 0)).toBe(true);
      expect(leftovers(cache)).toEqual([]);
      await onPglite(fresh('from-race'), cache, async (pglite) => {
        expect((await pglite.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      });
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'holding a damaged file reports it, and makes and stores the template again',
    async () => {
      const cache = fresh('cache-damaged');
      mkdirSync(cache);
      const file = pgliteTemplateFile(cache);
      writeFileSync(file, gzipSync(marked).subarray(0, 1000));
      const reported: unknown[] = [];
      const template = await pgliteTemplate(cache, (e) => reported.push(e));
      expect(reported.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['Z_BUF_ERROR']);
      expect(Buffer.compare(gunzipSync(readFileSync(file)), Buffer.from(template))).toBe(0);
      await onPglite(fresh('from-remade'), cache, async (pglite) => {
        expect(await hasMarker(pglite)).toBe(false);
      });
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'that cannot be read or written is reported, and the template used all the same',
    async () => {
      const blocked = fresh('not-a-directory');
      writeFileSync(blocked, 'a file where the cache directory would be');
      const reported: unknown[] = [];
      const template = await pgliteTemplate(blocked, (e) => reported.push(e));
      // Neither read nor written.
      expect(reported.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR', 'EEXIST']);
      expect(placeDataDir(fresh('from-unwritten'), template)).toBe(true);
      expect(existsSync(join(fresh('from-unwritten'), 'PG_VERSION'))).toBe(true);
    },
    OPEN_TIMEOUT_MS,
  );
});

describe('placing a data directory', () => {
  let template: Uint8Array;
  beforeAll(async () => {
    template = await markedTemplate();
  }, OPEN_TIMEOUT_MS);

  it('keeps the copy of whoever came first', () => {
    const dir = fresh('placed-twice');
    expect(placeDataDir(dir, template)).toBe(true);
    writeFileSync(join(dir, 'written-after'), 'x');
    expect(placeDataDir(dir, template)).toBe(false);
    expect(existsSync(join(dir, 'written-after'))).toBe(true);
    expect(leftovers(scratch)).toEqual([]);
  });

  it(
    'by three processes at once: one places it, the others keep out, and the directory opens',
    async () => {
      const file = join(scratch, 'race-template.tar');
      writeFileSync(file, template);
      const dir = fresh('race/.data/pglite');
      const script = `
        const { readFileSync } = require('node:fs');
        const { placeDataDir } = require(${JSON.stringify(join(__dirname, 'pglite-template.ts'))});
        const template = readFileSync(${JSON.stringify(file)});
        process.stdout.write(String(placeDataDir(${JSON.stringify(dir)}, template)));`;
      const place = () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
        });
      const results = await Promise.all([place(), place(), place()]);
      expect(results.sort()).toEqual(['false', 'false', 'true']);
      expect(leftovers(join(dir, '..'))).toEqual([]);
      await onPglite(dir, undefined, async (pglite) => {
        expect(await hasMarker(pglite)).toBe(true);
      });
    },
    OPEN_TIMEOUT_MS,
  );
});

describe('extractTar', () => {
  /** One ustar entry: a header with its checksum, then the data padded to 512 bytes. */
  const entry = (name: string, data: string, type = '0'): Buffer => {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write(`${Buffer.byteLength(data).toString(8).padStart(11, '0')}\0`, 124);
    header.write('        ', 148);
    header.write(type, 156);
    header.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const body = Buffer.alloc(Math.ceil(Buffer.byteLength(data) / 512) * 512);
    body.write(data);
    return Buffer.concat([header, body]);
  };
  const END = Buffer.alloc(1024);

  it('writes directories and files, names with a leading slash inside the directory', () => {
    const dir = fresh('tar-ok');
    extractTar(Buffer.concat([entry('/base', '', '5'), entry('/base/1/112', 'page'), entry('PG_VERSION', '18\n'), END]), dir);
    expect(readFileSync(join(dir, 'base/1/112'), 'utf8')).toBe('page');
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8')).toBe('18\n');
  });

  it('refuses a name outside the directory, a link, a damaged header and a cut archive', () => {
    const dir = fresh('tar-bad');
    expect(() => extractTar(entry('../escaped', 'x'), dir)).toThrow('outside the directory');
    expect(existsSync(fresh('escaped'))).toBe(false);
    expect(() => extractTar(entry('link', '', '2'), dir)).toThrow('neither a file nor a directory');
    const damaged = entry('file', 'x');
    damaged[0] = 'g'.charCodeAt(0);
    expect(() => extractTar(damaged, dir)).toThrow('damaged header');
    expect(() => extractTar(entry('file', 'x'.repeat(600)).subarray(0, 1024), dir)).toThrow('cut short');
  });
});
