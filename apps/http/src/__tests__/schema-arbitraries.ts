import fc from 'fast-check';

/*
 * Requests drawn from the OpenAPI document's JSON Schemas (the subset the
 * requests use: objects of strings and integers, lengths, patterns,
 * minimums, optional fields that may be null): valid ones, and ones with
 * exactly one field wrong, telling which. The strings of a valid request keep
 * to characters every rule accepts, including those JSON Schema cannot say
 * (no control characters, no surrounding spaces, no NUL).
 */

export type JsonSchema = Readonly<Record<string, unknown>>;

interface ObjectSchema {
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, JsonSchema>>;
}

const typesOf = (s: JsonSchema): readonly string[] => (Array.isArray(s.type) ? (s.type as string[]) : [s.type as string]);

const SAFE = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:é漢');

/** A value the schema accepts (and so do the rules beyond it). */
export const validValue = (s: JsonSchema): fc.Arbitrary<unknown> => {
  const type = typesOf(s).find((t) => t !== 'null');
  if (type === 'integer') return fc.integer({ min: (s.minimum as number | undefined) ?? -1000, max: 100_000 });
  if (type === 'string') {
    const maxLength = (s.maxLength as number | undefined) ?? 64;
    if (typeof s.pattern === 'string') {
      const pattern = new RegExp(s.pattern);
      return fc.stringMatching(pattern).filter((v) => v.length <= maxLength && v.length >= ((s.minLength as number) ?? 0));
    }
    return fc.string({ unit: SAFE, minLength: Math.max(1, (s.minLength as number | undefined) ?? 0), maxLength });
  }
  throw new Error(`no arbitrary for ${JSON.stringify(s)}`);
};

/** A valid request: every required field, each optional one present, absent or (in a body) null. */
export const validRequest = (schema: JsonSchema, o2: { readonly text?: boolean } = {}): fc.Arbitrary<Record<string, unknown>> => {
  const o = schema as unknown as ObjectSchema;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(o.properties)) {
    fields[key] = o.required.includes(key)
      ? validValue(property)
      : o2.text === true
        ? fc.oneof(validValue(property), fc.constant(undefined))
        : fc.oneof(validValue(property), fc.constant(null), fc.constant(undefined));
  }
  return fc.record(fields).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
};

/** What a field may wrongly be, for its schema; in a query string (`text`) every value is a string, so no wrong type. */
const wrongValue = (s: JsonSchema, required: boolean, text: boolean): fc.Arbitrary<unknown> => {
  const type = typesOf(s).find((t) => t !== 'null');
  const wrongType = fc.oneof(
    type === 'string' ? fc.integer() : fc.string({ maxLength: 4 }).map((v) => `${v}x`),
    fc.boolean(),
    fc.constant({}),
    fc.constant([]),
    ...(required ? [fc.constant(null)] : []),
  );
  const out: fc.Arbitrary<unknown>[] = text ? [] : [wrongType];
  if (type === 'integer') {
    if (typeof s.minimum === 'number') out.push(fc.integer({ min: -1000, max: (s.minimum as number) - 1 }));
    out.push(fc.double({ min: 0.1, max: 1000, noInteger: true }));
  }
  if (type === 'string') {
    if (typeof s.maxLength === 'number') {
      const max = s.maxLength as number;
      out.push(fc.string({ unit: SAFE, minLength: max + 1, maxLength: max + 5 }));
    }
    if (typeof s.minLength === 'number' && (s.minLength as number) > 0) out.push(fc.constant(''));
    if (typeof s.pattern === 'string') out.push(fc.constant('not a match !'));
  }
  return fc.oneof(...out);
};

/** A request with exactly one field wrong (missing when required, or a wrong value), and that field's name. */
export const invalidRequest = (
  schema: JsonSchema,
  o2: { readonly text?: boolean } = {},
): fc.Arbitrary<{ readonly body: Record<string, unknown>; readonly field: string }> => {
  const o = schema as unknown as ObjectSchema;
  return fc
    .tuple(validRequest(schema, o2), fc.constantFrom(...Object.keys(o.properties)), fc.boolean())
    .chain(([body, field, drop]) => {
      const required = o.required.includes(field);
      if (drop && required) {
        const { [field]: _dropped, ...rest } = body;
        return fc.constant({ body: rest, field });
      }
      return wrongValue(o.properties[field] as JsonSchema, required, o2.text === true).map((value) => ({
        body: { ...body, [field]: value },
        field,
      }));
    });
};

/** The query parameters of an operation as the object schema the arbitraries draw from. */
export const queryAsSchema = (parameters: readonly JsonSchema[]): JsonSchema => {
  const query = parameters.filter((p) => p.in === 'query');
  return {
    type: 'object',
    required: query.filter((p) => p.required === true).map((p) => p.name as string),
    properties: Object.fromEntries(query.map((p) => [p.name as string, p.schema as JsonSchema])),
  };
};
