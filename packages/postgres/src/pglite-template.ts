import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
// PGlite is imported when needed (an ES module behind `import()`): its types are the ES module's.
import type { PGlite } from '@electric-sql/pglite' with { 'resolution-mode': 'import' };

/*
 * A new PGlite database starts from a template instead of running initdb,
 * which costs seconds of WASM on a small machine. The template is a tarball
 * of a freshly initialised PGlite (PGlite's own `dumpDataDir`), made once per
 * installed PGlite version and kept gzipped (40 MB become 5 MB, unpacked in
 * some 70 ms) in node_modules/.cache/codedispatch: a clean install (`npm ci`)
 * drops it, another PGlite version never finds it. It holds no schema, so it
 * cannot fall behind the migrations: they run on the new database as on any
 * other. `npm run build` makes it, so that the first start of a fresh clone
 * finds it; a start that finds none makes it.
 *
 * A new data directory is written beside its final place and renamed into it,
 * so it appears whole or not at all; afterwards it is an ordinary PGlite data
 * directory. In memory, PGlite loads the template itself (`loadDataDir`).
 */

/** Bumped when the way a template is made changes, so that older ones are not used. */
const TEMPLATE_FORMAT = 1;

const pgliteInstall = (): { readonly version: string; readonly nodeModules: string } => {
  // <node_modules>/@electric-sql/pglite/dist/index.cjs
  const packageDir = resolve(dirname(require.resolve('@electric-sql/pglite')), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  return { version, nodeModules: resolve(packageDir, '..', '..') };
};

/** Where templates are kept unless told otherwise: node_modules/.cache/codedispatch, beside the installed PGlite. */
export const defaultTemplateCacheDir = (): string => join(pgliteInstall().nodeModules, '.cache', 'codedispatch');

/** The template's file in `cacheDir` for the installed PGlite version. */
export const pgliteTemplateFile = (cacheDir: string = defaultTemplateCacheDir()): string =>
  join(cacheDir, `pglite-${pgliteInstall().version}-t${TEMPLATE_FORMAT}.tar.gz`);

/** initdb, in memory, then the data directory as an uncompressed tarball. */
const makeTemplate = async (): Promise<Uint8Array> => {
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create();
  try {
    // Everything on disk, so a database made from the template has nothing to replay.
    await pglite.exec('checkpoint');
    return new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer());
  } finally {
    await pglite.close();
  }
};

/** Written to a file of its own, then renamed: a reader sees the whole template or none. */
const store = (file: string, template: Uint8Array): void => {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.partial`;
  try {
    writeFileSync(partial, gzipSync(template));
    renameSync(partial, file);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  }
};

/**
 * The template for the installed PGlite (an uncompressed tarball): read from
 * `cacheDir`, else made now and stored there. A cache that cannot be read
 * (or holds a damaged file) or written is reported to `onCacheError`, and the
 * template made and used all the same.
 */
export const pgliteTemplate = async (
  cacheDir: string = defaultTemplateCacheDir(),
  onCacheError: (error: unknown) => void = () => undefined,
): Promise<Uint8Array> => {
  const file = pgliteTemplateFile(cacheDir);
  try {
    return gunzipSync(readFileSync(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') onCacheError(e);
  }
  const template = await makeTemplate();
  try {
    store(file, template);
  } catch (e) {
    onCacheError(e);
  }
  return template;
};

const TAR_BLOCK = 512;

/**
 * Writes the entries of an uncompressed ustar archive, as `dumpDataDir` makes
 * it (directories and regular files), under `dir`. Refuses a damaged header,
 * any other kind of entry, and a name that would land outside `dir`.
 */
export const extractTar = (tar: Uint8Array, dir: string): void => {
  const bytes = Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength);
  const field = (at: number, length: number): string => {
    const raw = bytes.subarray(at, at + length);
    const end = raw.indexOf(0);
    return raw.toString('utf8', 0, end === -1 ? length : end);
  };
  for (let at = 0; at + TAR_BLOCK <= bytes.length;) {
    const header = bytes.subarray(at, at + TAR_BLOCK);
    if (header.every((b) => b === 0)) return; // the end of the archive
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== parseInt(field(at + 148, 8).trim(), 8)) throw new Error(`tar: damaged header at byte ${at}`);
    const prefix = field(at + 345, 155);
    const name = prefix === '' ? field(at, 100) : `${prefix}/${field(at, 100)}`;
    const size = parseInt(field(at + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]!);
    const target = resolve(dir, `./${name}`);
    const inside = relative(dir, target);
    if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`tar: ${name} is outside the directory`);
    const data = at + TAR_BLOCK;
    if (data + size > bytes.length) throw new Error(`tar: ${name} is cut short`);
    if (type === '5') mkdirSync(target, { recursive: true, mode: 0o700 });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      writeFileSync(target, bytes.subarray(data, data + size), { mode: 0o600 });
    } else throw new Error(`tar: ${name} is neither a file nor a directory (type ${JSON.stringify(type)})`);
    at = data + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
};

const isEmptyDir = (dir: string): boolean => {
  try {
    return readdirSync(dir).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw e;
  }
};

/**
 * Makes `dataDir`, which does not exist or is empty, a copy of the template:
 * written beside it, then renamed into place. False when another process did
 * it first (its copy is kept).
 */
export const placeDataDir = (dataDir: string, template: Uint8Array): boolean => {
  const target = resolve(dataDir);
  mkdirSync(dirname(target), { recursive: true });
  const partial = mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    extractTar(template, partial);
    // rename replaces an empty directory on POSIX only: remove it first.
    try {
      rmdirSync(target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    renameSync(partial, target);
    return true;
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    if (existsSync(join(target, 'PG_VERSION'))) return false;
    throw e;
  }
};

/**
 * A PGlite on `dataDir`, or in memory when it is undefined. A new database —
 * in memory, or a data directory that does not exist or is empty — starts
 * from the template; a data directory that holds anything else is opened by
 * PGlite as it is.
 */
export const createPglite = async (dataDir: string | undefined, cacheDir?: string): Promise<PGlite> => {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir === undefined) return PGlite.create({ loadDataDir: new Blob([await pgliteTemplate(cacheDir)]) });
  if (!existsSync(dataDir) || isEmptyDir(dataDir)) placeDataDir(dataDir, await pgliteTemplate(cacheDir));
  return PGlite.create(dataDir);
};
