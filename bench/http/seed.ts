/*
 * Seed data of the HTTP benchmarks, inserted with plain SQL before a target
 * starts: the same orders (by prefix, all in the bench area) for the
 * service's schema and for the bare servers' table (BARE_SCHEMA in bare.ts).
 */
import { candidatesFromIndex, isTrivial } from '@codedispatch/core/adapter';
import { AREA, GENERATOR, ORDER_EXPIRE_S, PARK } from './config';

/** Distinct issuable codes, `count` of them from index `start` of the area's space (trivial ones skipped). */
export const codesFrom = (start: number, count: number): string[] =>
  candidatesFromIndex(GENERATOR, start, count + 64)
    .filter((c) => !isTrivial(GENERATOR, c))
    .slice(0, count);

/** What one scratch database holds before a run: orders by prefix, all in the bench area. */
export interface SeedSpec {
  /** `pending` orders `${prefix}-${i}` with codes[i] (to be assigned). */
  readonly pending?: { readonly prefix: string; readonly codes: readonly string[] };
  /** `processing` orders `${prefix}-${i}` held by driver `${prefix}${i}` (lookups, status reads, long-polls). */
  readonly processing?: readonly { readonly prefix: string; readonly count: number; readonly codeStart: number }[];
}

export type Exec = (text: string, params?: readonly unknown[]) => Promise<void>;

const CHUNK = 10_000;

/** The change-log entries a record in this state would have (the service's own JSON shape). */
const createdEntry = (at: string) => ({ at, from: null, to: 'pending', actor: { kind: 'service', name: 'bench' } });
const enteredEntry = (at: string, driverId: string) => ({
  at,
  from: 'pending',
  to: 'processing',
  actor: { kind: 'driver', park_db_id: PARK, driver_id: driverId },
});

/** Inserts the seed rows into the service's schema in chunks of 10,000 (one statement each, arrays as parameters). */
export const seedService = async (exec: Exec, spec: SeedSpec): Promise<number> => {
  const now = new Date();
  const at = now.toISOString();
  const expires = new Date(now.getTime() + ORDER_EXPIRE_S * 1000);
  let rows = 0;
  if (spec.pending !== undefined) {
    const { prefix, codes } = spec.pending;
    const changes = JSON.stringify([createdEntry(at)]);
    for (let from = 0; from < codes.length; from += CHUNK) {
      const part = codes.slice(from, from + CHUNK);
      await exec(
        `insert into code_dispatch.assignments
           (order_id, area_id, code, status, created_at, updated_at, expires_at, attempt, version, changes)
         select $1::text || '-' || (k.ord - 1 + $2::integer), $3::text, k.code, 'pending', $4::timestamptz, $4::timestamptz,
                $5::timestamptz, 0, 1, $6::jsonb
         from unnest($7::text[]) with ordinality as k(code, ord)`,
        [prefix, from, AREA, now, expires, changes, part],
      );
      rows += part.length;
    }
  }
  for (const group of spec.processing ?? []) {
    const codes = codesFrom(group.codeStart, group.count);
    for (let from = 0; from < codes.length; from += CHUNK) {
      const part = codes.slice(from, from + CHUNK);
      await exec(
        `insert into code_dispatch.assignments
           (order_id, area_id, code, status, driver_id, park_db_id, created_at, updated_at, expires_at, attempt, version, changes)
         select $1::text || '-' || n, $2::text, k.code, 'processing', $1::text || n, $3::text, $4::timestamptz, $4::timestamptz,
                $5::timestamptz, 1, 2,
                jsonb_build_array($6::jsonb, jsonb_set($7::jsonb, '{actor,driver_id}', to_jsonb($1::text || n)))
         from unnest($8::text[]) with ordinality as k(code, ord), lateral (select (k.ord - 1 + $9::integer)::text as n) as i`,
        [
          group.prefix,
          AREA,
          PARK,
          now,
          expires,
          JSON.stringify(createdEntry(at)),
          JSON.stringify(enteredEntry(at, '')),
          part,
          from,
        ],
      );
      rows += part.length;
    }
  }
  await exec('analyze code_dispatch.assignments');
  return rows;
};

/** The same orders in the bare servers' table (no change log, no outbox). */
export const seedBare = async (exec: Exec, spec: SeedSpec): Promise<number> => {
  const expires = new Date(Date.now() + ORDER_EXPIRE_S * 1000);
  let rows = 0;
  if (spec.pending !== undefined) {
    const { prefix, codes } = spec.pending;
    for (let from = 0; from < codes.length; from += CHUNK) {
      const part = codes.slice(from, from + CHUNK);
      await exec(
        `insert into orders (order_id, area_id, code, status, expires_at)
         select $1::text || '-' || (k.ord - 1 + $2::integer), $3::text, k.code, 'pending', $4::timestamptz
         from unnest($5::text[]) with ordinality as k(code, ord)`,
        [prefix, from, AREA, expires, part],
      );
      rows += part.length;
    }
  }
  for (const group of spec.processing ?? []) {
    const codes = codesFrom(group.codeStart, group.count);
    for (let from = 0; from < codes.length; from += CHUNK) {
      const part = codes.slice(from, from + CHUNK);
      await exec(
        `insert into orders (order_id, area_id, code, status, park_db_id, driver_id, expires_at)
         select $1::text || '-' || n, $2::text, k.code, 'processing', $3::text, $1::text || n, $4::timestamptz
         from unnest($5::text[]) with ordinality as k(code, ord), lateral (select (k.ord - 1 + $6::integer)::text as n) as i`,
        [group.prefix, AREA, PARK, expires, part, from],
      );
      rows += part.length;
    }
  }
  await exec('analyze orders');
  return rows;
};
