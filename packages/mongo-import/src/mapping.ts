import * as E from 'fp-ts/Either';
import {
  areaId,
  driver,
  isActive,
  isIdentifier,
  orderId,
  type Assignment,
  type AssignmentErrorCode,
  type Change,
  type Status,
} from '@codedispatch/core';

/*
 * THE field mapping of the MongoDB import (SPEC §9, docs/migration-from-mongo.md):
 * legacy documents of `code_dispatch_codes` and `code_dispatch_assignments`
 * → one `Assignment`. Everything a dump may do differently (field names,
 * status or error spellings) is adapted here and nowhere else.
 *
 * The documents come in as plain values (see `ejson.ts`): strings, numbers,
 * `Date`s, nested objects; ObjectIds as hex strings. Any field may be missing.
 * A value that is present but cannot be mapped is a rejection with a reason,
 * never a silent default.
 */

/** Field names in the legacy documents. */
export const CODE_FIELDS = {
  orderId: 'order_id',
  code: 'code',
  areaId: 'zone_id',
  created: 'created',
  expire: 'expire',
} as const;

export const ASSIGNMENT_FIELDS = {
  orderId: 'order_id',
  driverId: 'driver_id',
  parkId: 'park_id',
  status: 'status',
  error: 'error',
  created: 'created',
  updated: 'updated',
} as const;

/** Legacy `status` → status. Exact spelling only. */
export const LEGACY_STATUSES: Readonly<Record<string, Status>> = {
  pending: 'pending',
  processing: 'processing',
  assigned: 'assigned',
  error: 'error',
};

/**
 * Legacy `error` → error code: the six codes as they are, plus spelling
 * aliases (documented in docs/migration-from-mongo.md). Anything else rejects
 * the order.
 */
export const LEGACY_ERROR_CODES: Readonly<Record<string, AssignmentErrorCode>> = {
  driver_not_found_in_tracker: 'driver_not_found_in_tracker',
  driver_busy: 'driver_busy',
  driver_out_of_area: 'driver_out_of_area',
  processing_timeout: 'processing_timeout',
  order_cancelled: 'order_cancelled',
  expired: 'expired',
  // aliases
  order_canceled: 'order_cancelled',
  cancelled: 'order_cancelled',
  canceled: 'order_cancelled',
};

/** The code as written, without spaces, dashes and dots (nothing else changes). */
export const normaliseLegacyCode = (written: string): string => written.replace(/[\s.-]/g, '');

/** What a code document contributes; compact, as it is kept in memory until the assignments are read. */
export interface LegacyCode {
  readonly orderId: string;
  /** Normalised. */
  readonly code: string;
  readonly areaId: string;
  /** Epoch milliseconds, or null when missing. */
  readonly created: number | null;
  readonly expire: number | null;
  /** The creation time in the document's ObjectId, if it has one. */
  readonly idTime?: number | null;
}

export interface LegacyAssignment {
  readonly orderId: string;
  readonly status: Status;
  readonly errorCode: AssignmentErrorCode | null;
  readonly driverId: string | null;
  readonly parkId: string | null;
  readonly created: number | null;
  readonly updated: number | null;
  /** The creation time in the document's ObjectId, if it has one. */
  readonly idTime?: number | null;
}

/** Why a document cannot be mapped; `orderId` when the document had a usable one. */
export interface Rejection {
  readonly reason: string;
  readonly orderId?: string;
}

type Doc = Readonly<Record<string, unknown>>;

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** An own field; `null` and `""` count as missing. */
const field = (doc: Doc, key: string): unknown => {
  const value = hasOwn(doc, key) ? doc[key] : undefined;
  return value === null || value === '' ? undefined : value;
};

const describe = (u: unknown): string => {
  if (u instanceof Date) return 'a date';
  if (Array.isArray(u)) return 'an array';
  if (typeof u === 'object') return 'an object';
  return `${typeof u} ${JSON.stringify(u)}`;
};

const quoted = (s: string): string => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);

/** An optional identifier field: absent → null. */
const identifier = (doc: Doc, key: string): E.Either<string, string | null> => {
  const value = field(doc, key);
  if (value === undefined) return E.right(null);
  if (typeof value !== 'string') return E.left(`${key} is not a string (${describe(value)})`);
  if (!isIdentifier(value))
    return E.left(
      `${key} ${quoted(value)} is not a valid identifier (1-128 characters, no control characters, no surrounding spaces)`,
    );
  return E.right(value);
};

/** An optional date field as epoch milliseconds: absent → null. */
const date = (doc: Doc, key: string): E.Either<string, number | null> => {
  const value = field(doc, key);
  if (value === undefined) return E.right(null);
  if (!(value instanceof Date)) return E.left(`${key} is not a date (${describe(value)})`);
  const ms = value.getTime();
  return Number.isNaN(ms) ? E.left(`${key} is not a valid date`) : E.right(ms);
};

/**
 * The creation time a MongoDB ObjectId carries (its first four bytes, in
 * seconds): the fallback for a document whose `created` is missing.
 */
const objectIdTime = (doc: Doc): number | null => {
  const id = field(doc, '_id');
  return typeof id === 'string' && /^[0-9a-f]{24}$/i.test(id) ? parseInt(id.slice(0, 8), 16) * 1000 : null;
};

const orderIdOf = (doc: Doc): E.Either<Rejection, string> => {
  const id = identifier(doc, CODE_FIELDS.orderId);
  if (E.isLeft(id)) return E.left({ reason: id.left });
  return id.right === null ? E.left({ reason: 'document without order_id' }) : E.right(id.right);
};

/** A `code_dispatch_codes` document → `LegacyCode`. */
export const readLegacyCode = (doc: Doc): E.Either<Rejection, LegacyCode> => {
  const id = orderIdOf(doc);
  if (E.isLeft(id)) return id;
  const reject = (reason: string): E.Either<Rejection, LegacyCode> => E.left({ reason, orderId: id.right });

  const written = field(doc, CODE_FIELDS.code);
  if (written === undefined) return reject('code document without code');
  if (typeof written !== 'string') return reject(`code is not a string (${describe(written)})`);
  const code = normaliseLegacyCode(written);
  if (!isIdentifier(code)) return reject(`code ${quoted(written)} is empty or not storable once normalised`);

  const area = identifier(doc, CODE_FIELDS.areaId);
  if (E.isLeft(area)) return reject(area.left);
  if (area.right === null) return reject('code document without zone_id');
  const created = date(doc, CODE_FIELDS.created);
  if (E.isLeft(created)) return reject(created.left);
  const expire = date(doc, CODE_FIELDS.expire);
  if (E.isLeft(expire)) return reject(expire.left);

  return E.right({
    orderId: id.right,
    code,
    areaId: area.right,
    created: created.right,
    expire: expire.right,
    idTime: objectIdTime(doc),
  });
};

/** A `code_dispatch_assignments` document → `LegacyAssignment`; a status or error that does not map rejects it. */
export const readLegacyAssignment = (doc: Doc): E.Either<Rejection, LegacyAssignment> => {
  const id = orderIdOf(doc);
  if (E.isLeft(id)) return id;
  const reject = (reason: string): E.Either<Rejection, LegacyAssignment> => E.left({ reason, orderId: id.right });

  const rawStatus = field(doc, ASSIGNMENT_FIELDS.status);
  if (rawStatus === undefined) return reject('assignment without status');
  const status = typeof rawStatus === 'string' && hasOwn(LEGACY_STATUSES, rawStatus) ? LEGACY_STATUSES[rawStatus] : undefined;
  if (status === undefined)
    return reject(`status ${typeof rawStatus === 'string' ? quoted(rawStatus) : describe(rawStatus)} does not map`);

  const rawError = field(doc, ASSIGNMENT_FIELDS.error);
  const mappedError =
    typeof rawError === 'string' && hasOwn(LEGACY_ERROR_CODES, rawError) ? LEGACY_ERROR_CODES[rawError] : undefined;
  if (rawError !== undefined && mappedError === undefined) {
    return reject(`error ${typeof rawError === 'string' ? quoted(rawError) : describe(rawError)} does not map`);
  }
  if (status === 'error' && mappedError === undefined) return reject('status error without an error code');

  const driverId = identifier(doc, ASSIGNMENT_FIELDS.driverId);
  if (E.isLeft(driverId)) return reject(driverId.left);
  const parkId = identifier(doc, ASSIGNMENT_FIELDS.parkId);
  if (E.isLeft(parkId)) return reject(parkId.left);
  const d = driverId.right;
  const p = parkId.right;
  if ((d === null) !== (p === null)) return reject(d === null ? 'park_id without driver_id' : 'driver_id without park_id');
  if ((status === 'processing' || status === 'assigned') && d === null)
    return reject(`status ${status} without driver_id and park_id`);
  const created = date(doc, ASSIGNMENT_FIELDS.created);
  if (E.isLeft(created)) return reject(created.left);
  const updated = date(doc, ASSIGNMENT_FIELDS.updated);
  if (E.isLeft(updated)) return reject(updated.left);

  return E.right({
    orderId: id.right,
    status,
    // The model keeps an error code on error records only; on other statuses a
    // (mappable) leftover error of an earlier attempt is dropped.
    errorCode: status === 'error' ? (mappedError ?? null) : null,
    driverId: d,
    parkId: p,
    created: created.right,
    updated: updated.right,
    idTime: objectIdTime(doc),
  });
};

/**
 * The merged record. `orderExpireS` is the area's setting (SPEC §8), used when
 * the code document has no `expire`; `now` decides whether a code document
 * without assignment has expired.
 */
export const toAssignment = (
  code: LegacyCode,
  assignment: LegacyAssignment | null,
  orderExpireS: number,
  now: Date,
): E.Either<Rejection, Assignment> => {
  // A document's own date first; the ObjectId's creation time only when neither has one.
  const createdMs = code.created ?? assignment?.created ?? code.idTime ?? assignment?.idTime ?? null;
  if (createdMs === null)
    return E.left({ reason: 'no created date in the code or the assignment document', orderId: code.orderId });
  const createdAt = new Date(createdMs);
  const updatedAt = new Date(assignment?.updated ?? createdMs);
  const expiresAt = new Date(code.expire ?? createdMs + orderExpireS * 1000);

  const expired = assignment === null && expiresAt.getTime() <= now.getTime();
  const status: Status = assignment?.status ?? (expired ? 'error' : 'pending');
  const errorCode: AssignmentErrorCode | null = assignment?.errorCode ?? (expired ? 'expired' : null);
  const recorded =
    assignment !== null && assignment.driverId !== null && assignment.parkId !== null
      ? driver(assignment.parkId, assignment.driverId)
      : null;

  const change: Change = {
    at: createdAt,
    from: null,
    to: status,
    actor: { kind: 'system' },
    ...(errorCode !== null ? { errorCode } : {}),
    reason: 'imported',
  };
  return E.right({
    orderId: orderId(code.orderId),
    areaId: areaId(code.areaId),
    code: code.code,
    status,
    errorCode,
    driver: recorded,
    userId: null,
    createdAt,
    updatedAt,
    expiresAt,
    releasedAt: isActive({ status, errorCode }) ? null : updatedAt,
    attempt: recorded !== null ? 1 : 0,
    legacy: true,
    version: 1,
    changes: [change],
  });
};

/** Two code documents of one order that say the same thing (the `_id` aside). */
export const sameLegacyCode = (a: LegacyCode, b: LegacyCode): boolean =>
  a.code === b.code && a.areaId === b.areaId && a.created === b.created && a.expire === b.expire;
