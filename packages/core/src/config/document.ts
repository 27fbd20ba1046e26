import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { isIdentifier } from '../domain/ids';
import { describeValue } from './report';

export { describeValue, formatIssuePath, reportErrors, type IssuePathSegment, type ValidationIssue } from './report';

/*
 * Building blocks of the configuration document (SPEC §8): io-ts codecs that
 * decode to what they read, report every problem with its path, call an
 * unknown key an error (a typo is caught, not ignored) and never echo a
 * secret. The domain's sections are made of them (`codec.ts`); a host that
 * adds sections of its own to the same document (the REST service's `auth`,
 * `tracker`, `processing_queue`) builds them from the same blocks, so every
 * issue reads alike. Exported as `@codedispatch/core/document`.
 */

export type UnknownRecord = Readonly<Record<string, unknown>>;

export const isRecord = (u: unknown): u is UnknownRecord => typeof u === 'object' && u !== null && !Array.isArray(u);

const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** A map without a prototype: `map['constructor']` is undefined unless the document set it. */
export const emptyMap = <A>(): Record<string, A> => Object.create(null) as Record<string, A>;

/** An own property only: never reads through the prototype (`constructor`, `__proto__`). */
export const field = (u: unknown, key: string): unknown => (isRecord(u) && hasOwn(u, key) ? u[key] : undefined);

/** Appends one by one: a spread of a huge error list would overflow the stack. */
const pushAll = <A>(target: A[], items: readonly A[]): void => {
  for (const item of items) target.push(item);
};

const issueError = (actual: unknown, c: t.Context, path: readonly string[], message: string): t.ValidationError => ({
  value: actual,
  context: path.reduce<t.Context>((ctx, key) => t.appendContext(ctx, key, t.unknown, undefined), c),
  message,
});

/**
 * A codec from its `validate` alone. Every codec of the document decodes to
 * what it reads (no conversion), so `is` is "decodes" and `encode` is identity.
 */
export const fromValidate = <A>(name: string, validate: t.Validate<unknown, A>): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, (u): u is A => E.isRight(validate(u, [])), validate, t.identity);

export type StructOf<R extends t.Props, O extends t.Props> = { readonly [K in keyof R]: t.TypeOf<R[K]> } & {
  readonly [K in keyof O]?: t.TypeOf<O[K]>;
};

/**
 * An object with `required` and `optional` keys. Unlike `t.exact`, a key it
 * does not know is an error ("unknown key"), so a typo is caught instead of
 * silently ignored. An optional key that is absent or `undefined` is left out.
 */
export const strictStruct = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<StructOf<R, O>, StructOf<R, O>, unknown> => {
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  const validate = (u: unknown, c: t.Context): t.Validation<StructOf<R, O>> => {
    if (!isRecord(u)) return t.failure(u, c, `expected an object, got ${describeValue(u)}`);
    const errors: t.ValidationError[] = [];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(u)) {
      if (!known.has(key)) errors.push(issueError(u[key], c, [key], 'unknown key'));
    }
    const visit = (props: t.Props, isRequired: boolean): void => {
      for (const [key, codec] of Object.entries(props)) {
        const value = field(u, key);
        if (value === undefined) {
          if (isRequired) errors.push(issueError(undefined, c, [key], 'required'));
          continue;
        }
        const result = codec.validate(value, t.appendContext(c, key, codec, value));
        if (E.isLeft(result)) pushAll(errors, result.left);
        else out[key] = result.right;
      }
    };
    visit(required, true);
    visit(optional, false);
    return errors.length > 0 ? t.failures(errors) : t.success(out as StructOf<R, O>);
  };
  return fromValidate(name, validate);
};

/**
 * A map with keys chosen by the document (area ids, caller names, locales).
 * The result has no prototype, so a key such as `__proto__` or `constructor`
 * is an ordinary entry and pollutes nothing.
 */
export const dictionary = <C extends t.Mixed>(
  name: string,
  key: { readonly isValid: (k: string) => boolean; readonly expected: string },
  value: C,
): t.Type<Readonly<Record<string, t.TypeOf<C>>>, Readonly<Record<string, t.TypeOf<C>>>, unknown> => {
  const validate = (u: unknown, c: t.Context): t.Validation<Readonly<Record<string, t.TypeOf<C>>>> => {
    if (!isRecord(u)) return t.failure(u, c, `expected an object, got ${describeValue(u)}`);
    const errors: t.ValidationError[] = [];
    const out = emptyMap<t.TypeOf<C>>();
    for (const k of Object.keys(u)) {
      if (!key.isValid(k)) errors.push(issueError(k, c, [k], `invalid key: expected ${key.expected}`));
      const result = value.validate(u[k], t.appendContext(c, k, value, u[k]));
      if (E.isLeft(result)) pushAll(errors, result.left);
      // `out` has no prototype, so even `__proto__` becomes an ordinary own entry.
      else out[k] = result.right;
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out);
  };
  return fromValidate(name, validate);
};

export type Check<A> = (a: A) => ReadonlyArray<{ readonly path: readonly string[]; readonly message: string }>;

/** `codec`, then a rule across its keys (`url` required when `kind` is `http`). */
export const checked = <A>(codec: t.Type<A, A, unknown>, check: Check<A>): t.Type<A, A, unknown> =>
  fromValidate(codec.name, (u, c) => {
    const result = codec.validate(u, c);
    if (E.isLeft(result)) return result;
    const issues = check(result.right);
    if (issues.length === 0) return result;
    return t.failures(issues.map(({ path, message }) => issueError(path.reduce(field, u), c, path, message)));
  });

/** `null` counts as left out (YAML's `key:` with nothing after it). */
export const nullable = <A>(codec: t.Type<A, A, unknown>): t.Type<A | null, A | null, unknown> =>
  fromValidate<A | null>(codec.name, (u, c) => (u === null ? t.success(null) : codec.validate(u, c)));

/** A `guard`ed value, then `problem` names what is wrong with it, if anything. */
export const fromPredicate = <A>(
  name: string,
  guard: (u: unknown) => u is A,
  problem: (a: A) => string | null,
): t.Type<A, A, unknown> =>
  fromValidate(name, (u, c) => {
    if (!guard(u)) return t.failure(u, c, `expected ${name}, got ${describeValue(u)}`);
    const message = problem(u);
    return message === null ? t.success(u) : t.failure(u, c, message);
  });

export const isNumber = (u: unknown): u is number => typeof u === 'number';
export const isString = (u: unknown): u is string => typeof u === 'string';

/** Ten years: a longer duration is a typo. */
const MAX_SECONDS = 315_360_000;

/**
 * An integer in [min, max]. With an open `max`, `cap` still bounds it (a
 * larger value is a typo, or would overflow date arithmetic), and is named
 * only when exceeded.
 */
export const integer = (min: number, max: number, cap = max): t.Type<number, number, unknown> => {
  const name = max === Infinity ? `integer >= ${min}` : `integer ${min}..${max}`;
  return fromPredicate(name, isNumber, (n) =>
    Number.isInteger(n) && n >= min && n <= cap
      ? null
      : Number.isInteger(n) && n > cap && cap < max
        ? `expected integer <= ${cap}, got ${n}`
        : `expected ${name}, got ${describeValue(n)}`,
  );
};

export const seconds = (min: number): t.Type<number, number, unknown> => integer(min, Infinity, MAX_SECONDS);
export const count = (min: number): t.Type<number, number, unknown> => integer(min, Infinity, Number.MAX_SAFE_INTEGER);

export const Percent = fromPredicate('number 0..100', isNumber, (n) =>
  Number.isFinite(n) && n >= 0 && n <= 100 ? null : `expected number 0..100, got ${describeValue(n)}`,
);

export const NonEmptyString = fromPredicate('non-empty string', isString, (s) => (s.length > 0 ? null : 'must not be empty'));

/** What a value is, without what it says. */
const describeKind = (u: unknown): string =>
  u === null ? 'null' : Array.isArray(u) ? 'an array' : typeof u === 'object' ? 'an object' : `a ${typeof u}`;

/**
 * A secret-bearing value: its problems are reported by type and length only,
 * never by value, since configuration errors go to stderr and the logs (an
 * unquoted YAML number for a secret would otherwise be printed in full).
 */
export const concealed = <A>(codec: t.Type<A, A, unknown>): t.Type<A, A, unknown> =>
  fromValidate(codec.name, (u, c) => {
    if (typeof u !== 'string') return t.failure(undefined, c, `expected ${codec.name}, got ${describeKind(u)} (value not shown)`);
    const result = codec.validate(u, c);
    return E.isLeft(result) ? t.failures(result.left.map((e) => ({ ...e, value: undefined }))) : result;
  });

/** Area ids and caller names: what `AreaId` accepts in a request (SPEC §6). */
export const IDENTIFIER = {
  isValid: isIdentifier,
  expected: 'an id of 1..128 characters without control characters or surrounding spaces',
};
