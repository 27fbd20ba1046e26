import type { ColumnType, Insertable, Selectable } from 'kysely';
import {
  areaId,
  driver,
  orderId,
  FINAL_ERROR_CODES,
  RETRYABLE_ERROR_CODES,
  type Assignment,
  type AssignmentErrorCode,
  type Status,
} from '@codedispatch/core';
import { changeFromJson, changeToJson, type ChangeJson } from '@codedispatch/core/adapter';

// The change log is stored in the core's wire form (SPEC §3).
export {
  actorToJson,
  actorFromJson,
  changeToJson,
  changeFromJson,
  type ActorJson,
  type ChangeJson,
} from '@codedispatch/core/adapter';

/*
 * `code_dispatch.assignments` (SPEC §3) and the mapping between its rows and
 * the core's `Assignment`. This file is the only place that knows both shapes.
 */

type Timestamp = ColumnType<Date, Date, Date>;

export interface AssignmentsTable {
  order_id: string;
  area_id: string;
  code: string;
  status: Status;
  error_code: AssignmentErrorCode | null;
  driver_id: string | null;
  park_db_id: string | null;
  user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: Timestamp;
  released_at: ColumnType<Date | null, Date | null, Date | null>;
  attempt: ColumnType<number, number | undefined, number>;
  legacy: ColumnType<boolean, boolean | undefined, boolean>;
  version: ColumnType<number, number | undefined, number>;
  /** jsonb array, read parsed; written as a JSON text (`JSON.stringify`). */
  changes: ColumnType<ChangeJson[], string, string>;
}

export type AssignmentRow = Selectable<AssignmentsTable>;
export type NewAssignmentRow = Insertable<AssignmentsTable>;

// ------------------------------------------------------------------ records

export const rowToAssignment = (row: AssignmentRow): Assignment => ({
  orderId: orderId(row.order_id),
  areaId: areaId(row.area_id),
  code: row.code,
  status: row.status,
  errorCode: row.error_code,
  driver: row.park_db_id !== null && row.driver_id !== null ? driver(row.park_db_id, row.driver_id) : null,
  userId: row.user_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  expiresAt: row.expires_at,
  releasedAt: row.released_at,
  attempt: row.attempt,
  legacy: row.legacy,
  version: row.version,
  changes: row.changes.map(changeFromJson),
});

/** The columns a transition may change: everything but the key, the creation time, the version and the log. */
export type MutableColumns = Required<Omit<NewAssignmentRow, 'order_id' | 'created_at' | 'version' | 'changes'>>;

export const mutableColumns = (a: Assignment): MutableColumns => ({
  area_id: a.areaId,
  code: a.code,
  status: a.status,
  error_code: a.errorCode,
  driver_id: a.driver?.driverId ?? null,
  park_db_id: a.driver?.parkDbId ?? null,
  user_id: a.userId,
  updated_at: a.updatedAt,
  expires_at: a.expiresAt,
  released_at: a.releasedAt,
  attempt: a.attempt,
  legacy: a.legacy,
});

export const assignmentToRow = (a: Assignment): NewAssignmentRow => ({
  order_id: a.orderId,
  ...mutableColumns(a),
  created_at: a.createdAt,
  version: a.version,
  changes: JSON.stringify(a.changes.map(changeToJson)),
});

// --------------------------------------------------------------------- COPY

/** The columns of `assignmentToCopyRow`, in its order. */
export const COPY_COLUMNS = [
  'order_id',
  'area_id',
  'code',
  'status',
  'error_code',
  'driver_id',
  'park_db_id',
  'user_id',
  'created_at',
  'updated_at',
  'expires_at',
  'released_at',
  'attempt',
  'legacy',
  'version',
  'changes',
] as const satisfies readonly (keyof NewAssignmentRow)[];

const COPY_NULL = '\\N';
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIALS = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const copyText = (s: string): string => (COPY_SPECIAL.test(s) ? s.replace(COPY_SPECIALS, (c) => COPY_ESCAPES[c] ?? c) : s);
const copyTextOrNull = (s: string | null | undefined): string => (s === null || s === undefined ? COPY_NULL : copyText(s));
const copyTime = (d: Date | null): string => (d === null ? COPY_NULL : d.toISOString());

/**
 * The row of `assignmentToRow` as one line of COPY's text format (COPY …
 * FROM STDIN): tab-separated in `COPY_COLUMNS` order, `\N` for null,
 * backslash, tab, newline and carriage return escaped.
 */
export const assignmentToCopyRow = (a: Assignment): string =>
  `${copyText(a.orderId)}\t${copyText(a.areaId)}\t${copyText(a.code)}\t${a.status}\t${a.errorCode ?? COPY_NULL}\t` +
  `${copyTextOrNull(a.driver?.driverId)}\t${copyTextOrNull(a.driver?.parkDbId)}\t${copyTextOrNull(a.userId)}\t` +
  `${copyTime(a.createdAt)}\t${copyTime(a.updatedAt)}\t${copyTime(a.expiresAt)}\t${copyTime(a.releasedAt)}\t` +
  `${a.attempt}\t${a.legacy ? 't' : 'f'}\t${a.version}\t${copyText(JSON.stringify(a.changes.map(changeToJson)))}\n`;

// --------------------------------------------------------------- predicates

const literal = (s: string): string => {
  if (!/^[a-z_]+$/.test(s)) throw new Error(`not a plain SQL literal: ${s}`);
  return `'${s}'`;
};
const list = (values: readonly string[]): string => values.map(literal).join(', ');

export const STATUS_VALUES_SQL = list(['pending', 'processing', 'assigned', 'error']);
export const ERROR_CODE_VALUES_SQL = list([...RETRYABLE_ERROR_CODES, ...FINAL_ERROR_CODES]);
export const RETRYABLE_SQL = list(RETRYABLE_ERROR_CODES);
export const FINAL_ERROR_SQL = list(FINAL_ERROR_CODES);

/**
 * SQL predicates over a row of `assignments`, as constant text: the same text
 * in the partial indexes and in the queries, so the planner can match them.
 * `q` is the table alias with its dot (`''` for none).
 */
export const predicates = (q = '') => ({
  /** The code is held: pending, processing, or a retryable error (SPEC §3). */
  active: `(${q}status in ('pending', 'processing') or (${q}status = 'error' and ${q}error_code in (${RETRYABLE_SQL})))`,
  /** The code can be entered, so it can expire: pending or a retryable error. */
  enterable: `(${q}status = 'pending' or (${q}status = 'error' and ${q}error_code in (${RETRYABLE_SQL})))`,
  /** Nothing can happen any more: the code is released. */
  final: `(${q}status = 'assigned' or (${q}status = 'error' and ${q}error_code is not null and ${q}error_code in (${FINAL_ERROR_SQL})))`,
});
