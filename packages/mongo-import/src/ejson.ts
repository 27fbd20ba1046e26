import { EJSON } from 'bson';
import * as E from 'fp-ts/Either';

/**
 * One `mongoexport` document (relaxed or canonical Extended JSON) → plain
 * values: `Date` stays a `Date`, ObjectId and UUID become hex/UUID strings,
 * Int32/Double become numbers, Long a number (or its decimal string beyond
 * 2^53), Decimal128 its string. Read as `EJSON.parse(text, {relaxed: false})`
 * would, so that a Long is never rounded on the way in.
 *
 * Most documents of a dump only hold strings, small numbers, `{"$oid": …}`
 * and `{"$date": …}`: those are read by `JSON.parse` alone and converted in
 * one walk (`fastPlain`), to the same values bson gives. Anything else — any
 * other `$` key, an integer beyond 2^53, a `\u0000` that may sit in a field
 * name — goes through bson whole (`parseDocumentWithBson`).
 */
export type PlainDocument = Readonly<Record<string, unknown>>;

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (typeof u !== 'object' || u === null) return false;
  const proto: unknown = Object.getPrototypeOf(u);
  return proto === Object.prototype || proto === null;
};

/** The BSON wrappers carry their type name in `_bsontype`. */
const bsonType = (u: object): string | undefined => {
  const t = (u as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
};

/** Replaces the BSON wrappers in place (the parsed tree is ours alone). */
const toPlain = (value: unknown): unknown => {
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = toPlain(value[i]);
    return value;
  }
  switch (bsonType(value)) {
    case undefined:
      break;
    case 'ObjectId':
      return (value as { toHexString(): string }).toHexString();
    case 'Int32':
    case 'Double':
      return (value as { valueOf(): number }).valueOf();
    case 'Long': {
      const long = value as { toNumber(): number; toString(): string };
      const n = long.toNumber();
      return Number.isSafeInteger(n) ? n : long.toString();
    }
    case 'Decimal128':
      return (value as { toString(): string }).toString();
    case 'Binary': {
      const binary = value as {
        sub_type: number;
        toString(encoding: 'hex'): string;
        toUUID(): { toHexString(dashes?: boolean): string };
      };
      return binary.sub_type === 4 ? binary.toUUID().toHexString(true) : binary.toString('hex');
    }
    default:
      // Timestamp, MinKey, RegExp, Code…: left as they are; the mapping rejects them where it expects a string or a date.
      return value;
  }
  const doc = value as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    const plain = toPlain(doc[key]);
    // A `__proto__` key is an own property (JSON.parse made it so): assigning it would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(doc, key, { value: plain, enumerable: true, writable: true, configurable: true });
    else doc[key] = plain;
  }
  return doc;
};

const kindOf = (u: unknown): string => {
  if (u === null) return 'null';
  if (Array.isArray(u)) return 'an array';
  if (typeof u === 'object') return `an object (${bsonType(u) ?? u.constructor.name})`;
  return `a ${typeof u}`;
};

/** The text of one document → the document, or why it is not one, as bson's Extended JSON reading says. Never throws. */
export const parseDocumentWithBson = (text: string): E.Either<string, PlainDocument> => {
  let parsed: unknown;
  try {
    parsed = EJSON.parse(text, { relaxed: false });
  } catch (e) {
    return E.left(`not a JSON document: ${e instanceof Error ? e.message : String(e)}`);
  }
  const plain = toPlain(parsed);
  return isPlainObject(plain) ? E.right(plain) : E.left(`not a JSON document: ${kindOf(plain)}`);
};

/** A value `fastPlain` leaves to bson. */
const NEEDS_BSON: unique symbol = Symbol('needs bson');

const DOLLAR = 0x24;
/** A `$numberLong` date read without bson: bson's own format (no leading zero, no -0), up to 15 digits, so the number is exact. */
const SHORT_LONG = /^(0|-?[1-9]\d{0,14})$/;

/** `{"$oid": …}` or `{"$date": …}` as bson reads them, or NEEDS_BSON for any other `$` object. */
const fastWrapper = (value: Record<string, unknown>, keys: readonly string[]): unknown => {
  if (keys.length !== 1) return NEEDS_BSON;
  const key = keys[0];
  const inner = value[key as string];
  if (key === '$oid') return typeof inner === 'string' && isObjectIdHex(inner) ? inner.toLowerCase() : NEEDS_BSON;
  if (key !== '$date') return NEEDS_BSON;
  if (typeof inner === 'string') return new Date(Date.parse(inner));
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) return NEEDS_BSON;
  const innerKeys = Object.keys(inner);
  const long = (inner as Record<string, unknown>).$numberLong;
  return innerKeys.length === 1 && typeof long === 'string' && SHORT_LONG.test(long) ? new Date(Number(long)) : NEEDS_BSON;
};

/** What `ObjectId` accepts as a string: 24 hexadecimal digits, either case. */
const isObjectIdHex = (s: string): boolean => {
  if (s.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
};

/** A value of `JSON.parse` → the plain value bson's reading would give, converted in place; NEEDS_BSON when unsure. */
const fastPlain = (value: unknown): unknown => {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value) ? NEEDS_BSON : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const plain = fastPlain(value[i]);
      if (plain === NEEDS_BSON) return NEEDS_BSON;
      value[i] = plain;
    }
    return value;
  }
  const doc = value as Record<string, unknown>;
  const keys = Object.keys(doc);
  for (const key of keys) if (key.charCodeAt(0) === DOLLAR) return fastWrapper(doc, keys);
  for (const key of keys) {
    const field = doc[key];
    const plain = fastPlain(field);
    if (plain === NEEDS_BSON) return NEEDS_BSON;
    if (plain === field) continue;
    // A `__proto__` key is an own property (JSON.parse made it so): assigning it would set the prototype.
    if (key === '__proto__')
      Object.defineProperty(doc, key, { value: plain, enumerable: true, writable: true, configurable: true });
    else doc[key] = plain;
  }
  return doc;
};

const hasDollarKey = (doc: object): boolean => Object.keys(doc).some((k) => k.charCodeAt(0) === DOLLAR);

/** The text of one document → the document, or why it is not one. Never throws. */
export const parseDocument = (text: string): E.Either<string, PlainDocument> => {
  if (text.includes('\\u0000')) return parseDocumentWithBson(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return parseDocumentWithBson(text);
  }
  if (!isPlainObject(parsed) || hasDollarKey(parsed)) return parseDocumentWithBson(text);
  const plain = fastPlain(parsed);
  return plain === NEEDS_BSON ? parseDocumentWithBson(text) : E.right(plain as PlainDocument);
};
