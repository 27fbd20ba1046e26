import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EJSON, ObjectId } from 'bson';

/** Builders of mongoexport-like dumps for the tests. */

export const tmpDir = (): string => mkdtempSync(join(tmpdir(), 'mongo-import-'));

/** A document as mongoexport writes it: relaxed (default) or canonical Extended JSON. */
export interface DocEntry {
  readonly doc: Record<string, unknown>;
  readonly canonical?: boolean;
}
/** A line written as it is (malformed input). */
export interface RawEntry {
  readonly raw: string;
}
export type Entry = DocEntry | RawEntry | '';

export const canonical = (doc: Record<string, unknown>): DocEntry => ({ doc, canonical: true });
export const raw = (text: string): RawEntry => ({ raw: text });

let oid = 0;
/** A document with an `_id` ObjectId, like every document mongoexport writes. */
export const withId = (doc: Record<string, unknown>): Record<string, unknown> => ({
  _id: ObjectId.createFromTime(1_700_000_000 + oid++),
  ...doc,
});

const text = (entry: DocEntry | RawEntry, pretty: boolean): string =>
  'raw' in entry
    ? entry.raw
    : EJSON.stringify(withId(entry.doc), undefined, pretty ? 2 : undefined, { relaxed: entry.canonical !== true });

/** One document per line (`''` = a blank line); returns each entry's line number. */
export const writeJsonLines = (path: string, entries: readonly Entry[]): number[] => {
  writeFileSync(path, `${entries.map((e) => (e === '' ? '' : text(e, false))).join('\n')}\n`);
  return entries.map((_, i) => i + 1);
};

/** `mongoexport --jsonArray --pretty`; returns each element's first line. */
export const writeJsonArray = (path: string, entries: readonly (DocEntry | RawEntry)[]): number[] => {
  const lines: number[] = [];
  let line = 2;
  const parts = entries.map((e) => {
    const t = text(e, true);
    lines.push(line);
    line += t.split('\n').length;
    return t;
  });
  writeFileSync(path, `[\n${parts.join(',\n')}\n]\n`);
  return lines;
};

export const at = (iso: string): Date => new Date(iso);
