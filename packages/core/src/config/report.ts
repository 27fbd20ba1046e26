import type * as t from 'io-ts';

/**
 * Decode errors as data: one `{path, message}` per problem, for a person to
 * read (`areas.svo_d.generator.length: expected integer 2..16, got 1`). Used
 * for the configuration document and, by the HTTP shell, for request bodies
 * (the `errors` member of a 400 problem document).
 */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

export type IssuePathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * `['areas', 'svo_d', 'generator', 'group', 1]` → `areas.svo_d.generator.group[1]`.
 * Numbers are array indices; a key that is not a plain word is quoted
 * (`instructions["pt BR"]`) so that every path reads back unambiguously. The
 * document itself is the empty path.
 */
export const formatIssuePath = (segments: readonly IssuePathSegment[]): string =>
  segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`;
    if (!PLAIN_KEY.test(segment)) return `${path}[${JSON.stringify(segment)}]`;
    return path === '' ? segment : `${path}.${segment}`;
  }, '');

const MAX_SHOWN = 40;

/** A short, safe rendering of an offending value: never throws, never long. */
export const describeValue = (u: unknown): string => {
  switch (typeof u) {
    case 'undefined':
      return 'nothing';
    case 'string': {
      const shown = u.length > MAX_SHOWN ? `${u.slice(0, MAX_SHOWN)}…` : u;
      return JSON.stringify(shown);
    }
    case 'number':
    case 'boolean':
      return String(u);
    case 'bigint':
      return `${u.toString()}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (u === null) return 'null';
      return Array.isArray(u) ? 'an array' : 'an object';
  }
};

const CONTAINER_TAGS: ReadonlySet<string> = new Set(['ArrayType', 'ReadonlyArrayType', 'TupleType']);
const MEMBER_TAGS: ReadonlySet<string> = new Set(['UnionType', 'IntersectionType']);

const tagOf = (decoder: t.Decoder<unknown, unknown>): string => {
  const tag = (decoder as { readonly _tag?: unknown })._tag;
  return typeof tag === 'string' ? tag : '';
};

/**
 * The path of an error: the keys of its context, minus the root entry and the
 * member indices io-ts adds for union and intersection members. Indices of
 * real arrays and tuples stay, as numbers (known by the value being an array,
 * so that a codec wrapping `t.array` keeps them too).
 */
const pathOf = (context: t.Context): IssuePathSegment[] => {
  const segments: IssuePathSegment[] = [];
  let parent: t.ContextEntry | undefined; // undefined at the root entry, which names nothing
  for (const entry of context) {
    if (parent !== undefined && !MEMBER_TAGS.has(tagOf(parent.type))) {
      const isIndex =
        (Array.isArray(parent.actual) || CONTAINER_TAGS.has(tagOf(parent.type))) && /^(?:0|[1-9]\d*)$/.test(entry.key);
      segments.push(isIndex ? Number(entry.key) : entry.key);
    }
    parent = entry;
  }
  return segments;
};

const messageOf = (error: t.ValidationError): string => {
  if (error.message !== undefined) return error.message;
  if (error.value === undefined) return 'required';
  const last = error.context[error.context.length - 1];
  const beforeLast = error.context[error.context.length - 2];
  // A union whose member failed on the value itself: name what the union wants,
  // so that `string | number` reads as one expectation, not one line per member.
  const expected =
    last === undefined
      ? 'a valid value'
      : beforeLast !== undefined && tagOf(beforeLast.type) === 'UnionType'
        ? beforeLast.type.name
        : last.type.name;
  return `expected ${expected}, got ${describeValue(error.value)}`;
};

/** io-ts `Errors` as `{path, message}` items, in order, without duplicates. */
export const reportErrors = (errors: t.Errors): ValidationIssue[] => {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const issue = { path: formatIssuePath(pathOf(error.context)), message: messageOf(error) };
    const id = `${issue.path}\u0000${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
};
