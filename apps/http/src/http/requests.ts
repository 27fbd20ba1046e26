import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { AreaId, OrderId, UserId, type ValidationIssue } from '@codedispatch/core';
import { describeValue, reportErrors } from '@codedispatch/core/document';

/*
 * The shapes of requests (SPEC §6), as io-ts codecs; each codec and its type
 * share a name. Decoding never throws: every problem becomes a
 * `{path, message}` item of the 400 document. Unknown extra fields are
 * ignored; an optional field given as `null` counts as left out. Strings that
 * reach the database are refused here when PostgreSQL `text` could not hold
 * them (NUL, lone surrogates) or when they are absurdly long.
 */

/** The longest wait a long-poll honours; longer requests are clamped (SPEC §6). */
export const MAX_WAIT_MS = 10_000;
export const MAX_CODE_CHARS = 64;
export const MAX_REASON_CHARS = 1000;

/** A JSON Schema (2020-12), as the OpenAPI document carries it. */
export type Schema = Readonly<Record<string, unknown>>;

/*
 * Each codec carries the JSON Schema of what it accepts, written beside its
 * rules: the OpenAPI document's requests are made from these (`schemaOf`),
 * so the document and the decoding cannot drift apart. A few rules have no
 * JSON Schema form (no NUL, no lone surrogate, no surrounding space): the
 * schema's description says them.
 */
const SCHEMAS = new WeakMap<t.Any, Schema>();

const withSchema = <C extends t.Any>(codec: C, schema: Schema): C => {
  SCHEMAS.set(codec, schema);
  return codec;
};

/** The JSON Schema of a request codec of this module. */
export const schemaOf = (codec: t.Any): Schema => {
  const schema = SCHEMAS.get(codec);
  if (schema === undefined) throw new Error(`no JSON Schema for ${codec.name}`);
  return schema;
};

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u);

const own = (u: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.prototype.hasOwnProperty.call(u, key) ? u[key] : undefined;

/** `codec`, answering any failure with one plain-English message at the field itself. */
const explained = <A, O>(codec: t.Type<A, O, unknown>, expected: string): t.Type<A, O, unknown> =>
  new t.Type<A, O, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const result = codec.validate(u, c);
      return E.isRight(result) ? result : t.failure(u, c, `expected ${expected}, got ${describeValue(u)}`);
    },
    codec.encode,
  );

const refinedString = <B>(name: string, ok: (s: string) => boolean, expected: string): t.Type<B, string, unknown> =>
  new t.Type<B, string, unknown>(
    name,
    (u): u is B => typeof u === 'string' && ok(u),
    (u, c) =>
      typeof u === 'string' && ok(u)
        ? t.success(u as unknown as B)
        : t.failure(u, c, `expected ${expected}, got ${describeValue(u)}`),
    (b) => b as unknown as string,
  );

// A NUL, or a surrogate half without its partner: PostgreSQL text cannot hold either.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

const ID_RULE = 'a string of 1..128 characters without control characters or surrounding spaces';

const ID_SCHEMA: Schema = { type: 'string', minLength: 1, maxLength: 128, description: ID_RULE };

// Annotated: the core's brand interfaces are not exported, so declarations must name the id types.
export const OrderIdField: t.Type<OrderId, string, unknown> = withSchema(
  explained(OrderId, `an order id (${ID_RULE})`),
  ID_SCHEMA,
);
export const AreaIdField: t.Type<AreaId, string, unknown> = withSchema(explained(AreaId, `an area id (${ID_RULE})`), ID_SCHEMA);
export const UserIdField: t.Type<UserId, string, unknown> = withSchema(explained(UserId, `a user id (${ID_RULE})`), ID_SCHEMA);

/** What the driver typed, as typed: the core parses it (format and checksum errors are its own 400s). */
export const TypedCode = withSchema(
  refinedString<string>(
    'TypedCode',
    (s) => s.length <= MAX_CODE_CHARS && !UNSTORABLE.test(s),
    `a string of at most ${MAX_CODE_CHARS} characters without NUL`,
  ),
  {
    type: 'string',
    maxLength: MAX_CODE_CHARS,
    description: 'As typed: spaces, dashes and dots are ignored; no NUL.',
    examples: ['482 918'],
  },
);
export type TypedCode = t.TypeOf<typeof TypedCode>;

export const Reason = withSchema(
  refinedString<string>(
    'Reason',
    (s) => s.length <= MAX_REASON_CHARS && !UNSTORABLE.test(s),
    `a string of at most ${MAX_REASON_CHARS} characters without NUL`,
  ),
  { type: 'string', maxLength: MAX_REASON_CHARS, description: 'Kept in the change log; no NUL.' },
);
export type Reason = t.TypeOf<typeof Reason>;

/** A language tag such as `ru`, `en-GB` or `pt_BR`. */
const LOCALE_PATTERN = '^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$';
export const LocaleTag = withSchema(
  refinedString<string>(
    'LocaleTag',
    (s) => s.length <= 35 && new RegExp(LOCALE_PATTERN).test(s),
    'a language tag such as ru or en-GB',
  ),
  { type: 'string', maxLength: 35, pattern: LOCALE_PATTERN },
);
export type LocaleTag = t.TypeOf<typeof LocaleTag>;

const clampWait = (n: number): number => Math.min(n, MAX_WAIT_MS);

/** A JSON number of milliseconds: a non-negative integer, clamped to 10 000. */
export const WaitMs = withSchema(
  new t.Type<number, number, unknown>(
    'WaitMs',
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= MAX_WAIT_MS,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= 0
        ? t.success(clampWait(u))
        : t.failure(u, c, `expected a non-negative integer number of milliseconds, got ${describeValue(u)}`),
    t.identity,
  ),
  { type: 'integer', minimum: 0 },
);
export type WaitMs = t.TypeOf<typeof WaitMs>;

/** `wait_ms` in a query string: digits only, clamped to 10 000. */
export const WaitMsFromString = withSchema(
  new t.Type<number, string, unknown>(
    'WaitMsFromString',
    (u): u is number => WaitMs.is(u),
    (u, c) =>
      typeof u === 'string' && /^[0-9]+$/.test(u)
        ? t.success(clampWait(Number(u)))
        : t.failure(u, c, `expected a non-negative integer number of milliseconds (digits only), got ${describeValue(u)}`),
    String,
  ),
  { type: 'string', pattern: '^[0-9]+$' },
);

type StructOf<R extends t.Props, O extends t.Props> = { readonly [K in keyof R]: t.TypeOf<R[K]> } & {
  readonly [K in keyof O]?: t.TypeOf<O[K]>;
};

/**
 * A JSON object with `required` and `optional` fields. Reads own properties
 * only (a `__proto__` key is just a key), ignores unknown ones, and reports
 * every offending field at once.
 */
const struct = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
  /** What each field is for in this request (the OpenAPI document shows it). */
  descriptions: Partial<Record<keyof R | keyof O, string>> = {},
): t.Type<StructOf<R, O>, unknown, unknown> => {
  const validate = (u: unknown, c: t.Context): t.Validation<StructOf<R, O>> => {
    if (!isRecord(u)) return t.failure(u, c, `expected a JSON object, got ${describeValue(u)}`);
    const errors: t.ValidationError[] = [];
    const out: Record<string, unknown> = {};
    const visit = (props: t.Props, isRequired: boolean): void => {
      for (const [key, codec] of Object.entries(props)) {
        const value = own(u, key);
        const ctx = t.appendContext(c, key, codec, value);
        if (value === undefined || value === null) {
          if (isRequired) errors.push({ value, context: ctx, message: value === null ? 'required, got null' : 'required' });
          continue;
        }
        const result = codec.validate(value, ctx);
        if (E.isLeft(result)) for (const e of result.left) errors.push(e);
        else out[key] = result.right;
      }
    };
    visit(required, true);
    visit(optional, false);
    return errors.length > 0 ? t.failures(errors) : t.success(out as StructOf<R, O>);
  };
  const property = (key: string, codec: t.Any, isRequired: boolean): Schema => {
    const given = schemaOf(codec);
    const said = (descriptions as Record<string, string | undefined>)[key];
    const description = [said, given.description].filter((d) => d !== undefined).join(' — ');
    return {
      ...given,
      // An optional field given as null counts as left out.
      ...(isRequired ? {} : { type: [given.type, 'null'] }),
      ...(description === '' ? {} : { description }),
    };
  };
  const schema: Schema = {
    type: 'object',
    required: Object.keys(required),
    properties: Object.fromEntries([
      ...Object.entries(required).map(([key, codec]) => [key, property(key, codec, true)]),
      ...Object.entries(optional).map(([key, codec]) => [key, property(key, codec, false)]),
    ]),
  };
  return withSchema(
    new t.Type<StructOf<R, O>, unknown, unknown>(
      name,
      (u): u is StructOf<R, O> => E.isRight(validate(u, [])),
      validate,
      t.identity,
    ),
    schema,
  );
};

// Each body's type is spelled out: it documents the request, and declarations can name it.
type Codec<A> = t.Type<A, unknown, unknown>;

export interface CreateOrderBody {
  readonly order_id: OrderId;
  readonly area_id: AreaId;
  readonly user_id?: UserId;
  readonly locale?: LocaleTag;
}
export const CreateOrderBody: Codec<CreateOrderBody> = struct(
  'CreateOrderBody',
  { order_id: OrderIdField, area_id: AreaIdField },
  { user_id: UserIdField, locale: LocaleTag },
  {
    order_id: 'The order',
    area_id: 'The code-dispatch area, e.g. svo_d',
    user_id: 'The passenger; the experiment rollout hashes it (else the order_id)',
    locale: 'Language of `instructions`; else Accept-Language; else en.',
  },
);

export interface CancelOrderBody {
  readonly order_id: OrderId;
  readonly reason?: Reason;
}
export const CancelOrderBody: Codec<CancelOrderBody> = struct(
  'CancelOrderBody',
  { order_id: OrderIdField },
  { reason: Reason },
  { order_id: 'The order' },
);

export interface AssignBody {
  readonly area_id: AreaId;
  readonly code: TypedCode;
  readonly wait_ms?: WaitMs;
}
export const AssignBody: Codec<AssignBody> = struct(
  'AssignBody',
  { area_id: AreaIdField, code: TypedCode },
  { wait_ms: WaitMs },
  {
    area_id: 'The area of the queue',
    wait_ms: `Long-poll: answer as soon as the assignment leaves processing, or after this many ms (clamped to ${MAX_WAIT_MS}).`,
  },
);

export interface StatusQuery {
  readonly order_id: OrderId;
  readonly wait_ms?: WaitMs;
}
export const StatusQuery: Codec<StatusQuery> = struct(
  'StatusQuery',
  { order_id: OrderIdField },
  { wait_ms: WaitMsFromString },
  {
    order_id: 'The order',
    wait_ms: `Answer as soon as the driver's view changes, or after this many ms (digits only; clamped to ${MAX_WAIT_MS}).`,
  },
);

export interface DriversLookupBody {
  readonly order_id: OrderId;
}
export const DriversLookupBody: Codec<DriversLookupBody> = struct(
  'DriversLookupBody',
  { order_id: OrderIdField },
  {},
  { order_id: 'The order' },
);

export interface AssignmentParams {
  readonly order_id: OrderId;
}
export const AssignmentParams: Codec<AssignmentParams> = struct(
  'AssignmentParams',
  { order_id: OrderIdField },
  {},
  { order_id: 'The order' },
);

/** A query or path codec as the OpenAPI document's parameters: one per field, with its schema and description. */
export const parametersOf = (codec: t.Any, where: 'query' | 'path'): Schema[] => {
  const schema = schemaOf(codec) as { readonly required: readonly string[]; readonly properties: Record<string, Schema> };
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, type, ...rest } = property as Schema & { readonly type: unknown };
    const required = schema.required.includes(name);
    return {
      name,
      in: where,
      required,
      ...(description === undefined ? {} : { description }),
      // A parameter left out is absent, not null: the null of an optional body field does not apply.
      schema: { ...rest, type: Array.isArray(type) ? type[0] : type },
    };
  });
};

/** Decodes a request part; the issues name each offending field (`order_id`, `wait_ms`). */
export const decodeRequest = <A>(codec: t.Decoder<unknown, A>, input: unknown): E.Either<readonly ValidationIssue[], A> =>
  E.mapLeft(reportErrors)(codec.decode(input));

// ------------------------------------------------------------- operations

/** An integer query parameter within `min..max` (digits only). */
const boundedIntegerFromString = (name: string, min: number, max: number, defaultValue: number) =>
  withSchema(
    new t.Type<number, string, unknown>(
      name,
      (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
      (u, c) =>
        typeof u === 'string' && /^[0-9]{1,6}$/.test(u) && Number(u) >= min && Number(u) <= max
          ? t.success(Number(u))
          : t.failure(u, c, `expected an integer from ${min} to ${max} (digits only), got ${describeValue(u)}`),
      String,
    ),
    { type: 'integer', minimum: min, maximum: max, default: defaultValue },
  );

export const DEFAULT_WINDOW_MIN = 60;
export const DEFAULT_DEAD_LETTER_LIMIT = 100;

export interface AreasQuery {
  readonly window_min?: number;
}
export const AreasQuery: Codec<AreasQuery> = struct(
  'AreasQuery',
  {},
  { window_min: boundedIntegerFromString('WindowMin', 15, 180, DEFAULT_WINDOW_MIN) },
  { window_min: 'How many one-minute buckets `series` has.' },
);

export interface OrdersByCodeQuery {
  readonly area_id: AreaId;
  readonly code: TypedCode;
}
export const OrdersByCodeQuery: Codec<OrdersByCodeQuery> = struct(
  'OrdersByCodeQuery',
  { area_id: AreaIdField, code: TypedCode },
  {},
  { area_id: 'The area', code: 'The code as typed' },
);

export interface EventsQuery {
  readonly limit?: number;
}
export const EventsQuery: Codec<EventsQuery> = struct(
  'EventsQuery',
  {},
  { limit: boundedIntegerFromString('Limit', 1, 500, DEFAULT_DEAD_LETTER_LIMIT) },
  { limit: 'How many dead letters, newest first.' },
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const EventId = withSchema(
  refinedString<string>('EventId', (s) => UUID.test(s), 'an event id (a UUID)'),
  { type: 'string', format: 'uuid' },
);

export interface EventParams {
  readonly event_id: string;
}
export const EventParams: Codec<EventParams> = struct('EventParams', { event_id: EventId }, {}, { event_id: 'The event' });
