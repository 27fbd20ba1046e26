import { EJSON } from 'bson';
import * as E from 'fp-ts/Either';

/**
 * One `mongoexport` document (relaxed or canonical Extended JSON) → plain
 * values: `Date` stays a `Date`, ObjectId and UUID become hex/UUID strings,
 * Int32/Double become numbers, Long a number (or its decimal string beyond
 * 2^53), Decimal128 its string. Parsed with `relaxed: false` so that a Long
 * is never rounded on the way in.
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

/** The text of one document → the document, or why it is not one. Never throws. */
export const parseDocument = (text: string): E.Either<string, PlainDocument> => {
  let parsed: unknown;
  try {
    parsed = EJSON.parse(text, { relaxed: false });
  } catch (e) {
    return E.left(`not a JSON document: ${e instanceof Error ? e.message : String(e)}`);
  }
  const plain = toPlain(parsed);
  return isPlainObject(plain) ? E.right(plain) : E.left(`not a JSON document: ${kindOf(plain)}`);
};
