import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as E from 'fp-ts/Either';
import YAML from 'yaml';
import type { ConfigIssue } from '@codedispatch/core';
import { demoConfigDocument } from './demo-config';
import { decodeServiceConfig, type ConfigOrigin, type ServiceConfig } from './service-config';

/*
 * The one configuration document (SPEC §8): YAML or JSON (by extension) at
 * `CODEDISPATCH_CONFIG`, else the built-in demo document. Secrets given in
 * the environment replace the document's before validation, so they are
 * validated like the rest. Every problem is reported, never just the first.
 */

export type { ConfigOrigin };

export interface LoadedConfig {
  readonly config: ServiceConfig;
  readonly origin: ConfigOrigin;
  /** `sha256:` and the first 16 hex digits of the SHA-256 of the document's text as read (the demo's: its JSON). */
  readonly version: string;
}

/** The version of a document's text, as GET /v1/ops/config shows it. */
export const documentVersion = (text: string): string =>
  `sha256:${createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16)}`;

export type Env = Readonly<Record<string, string | undefined>>;

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The document in a file, parsed. */
export const readConfigDocument = (path: string): E.Either<readonly ConfigIssue[], unknown> =>
  E.map((read: { readonly document: unknown }) => read.document)(readConfigFile(path));

/** The document in a file and its text as read. */
const readConfigFile = (
  path: string,
): E.Either<readonly ConfigIssue[], { readonly document: unknown; readonly text: string }> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return E.left([{ path: '', message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return E.map((document: unknown) => ({ document, text }))(parseConfigText(path, text));
};

/** A document's text parsed by the file's extension: `.json` as JSON, anything else as YAML (a superset of JSON). */
const parseConfigText = (path: string, text: string): E.Either<readonly ConfigIssue[], unknown> => {
  if (extname(path).toLowerCase() === '.json') {
    try {
      return E.right(JSON.parse(text) as unknown);
    } catch (e) {
      return E.left([{ path: '', message: `not valid JSON: ${(e as Error).message}` }]);
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return E.left(doc.errors.map((err) => ({ path: '', message: `not valid YAML: ${err.message.split('\n')[0] ?? err.code}` })));
  }
  try {
    return E.right(doc.toJS({ maxAliasCount: 100 }) as unknown);
  } catch (e) {
    return E.left([{ path: '', message: `not valid YAML: ${(e as Error).message}` }]);
  }
};

/** `name=token,name2=token2` → `{name: token, name2: token2}`, or the problems of the variable. */
export const parseServiceTokens = (
  value: string,
  variable = 'CODEDISPATCH_SERVICE_TOKENS',
): E.Either<readonly ConfigIssue[], Record<string, string>> => {
  const tokens: Record<string, string> = Object.create(null) as Record<string, string>;
  const issues: ConfigIssue[] = [];
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .forEach((entry, i) => {
      const eq = entry.indexOf('=');
      const name = eq < 0 ? '' : entry.slice(0, eq).trim();
      const token = eq < 0 ? '' : entry.slice(eq + 1).trim();
      if (name === '' || token === '') issues.push({ path: `${variable}[${i}]`, message: 'expected name=token' });
      else tokens[name] = token;
    });
  return issues.length > 0 ? E.left(issues) : E.right(tokens);
};

const section = (doc: Record<string, unknown>, key: string): Record<string, unknown> => {
  const existing = doc[key];
  const copy = isRecord(existing) ? { ...existing } : {};
  doc[key] = copy;
  return copy;
};

/**
 * The document with the secrets of the environment in place:
 * `CODEDISPATCH_SERVICE_TOKENS`, `CODEDISPATCH_OPERATOR_TOKENS`, `CODEDISPATCH_DRIVER_JWT_SECRET`,
 * `CODEDISPATCH_GATEWAY_TOKEN`, `CODEDISPATCH_WEBHOOK_SECRET`,
 * `CODEDISPATCH_AMQP_URL`. The queue secrets apply only when the document has
 * a `processing_queue` section (they cannot choose a sink on their own).
 */
export const applyEnvSecrets = (document: unknown, env: Env): E.Either<readonly ConfigIssue[], unknown> => {
  if (!isRecord(document)) return E.right(document);
  const doc: Record<string, unknown> = { ...document };
  const set = (value: string | undefined): value is string => value !== undefined && value !== '';
  const {
    CODEDISPATCH_SERVICE_TOKENS: services,
    CODEDISPATCH_DRIVER_JWT_SECRET: jwtSecret,
    CODEDISPATCH_GATEWAY_TOKEN: gateway,
    CODEDISPATCH_OPERATOR_TOKENS: operators,
  } = env;
  if (set(services)) {
    const parsed = parseServiceTokens(services);
    if (E.isLeft(parsed)) return parsed;
    section(doc, 'auth').service_tokens = parsed.right;
  }
  if (set(operators)) {
    const parsed = parseServiceTokens(operators, 'CODEDISPATCH_OPERATOR_TOKENS');
    if (E.isLeft(parsed)) return parsed;
    section(doc, 'auth').operator_tokens = parsed.right;
  }
  if (set(jwtSecret)) {
    const auth = section(doc, 'auth');
    auth.driver_jwt = { ...(isRecord(auth.driver_jwt) ? auth.driver_jwt : {}), hs256_secret: jwtSecret, jwks_url: null };
  }
  if (set(gateway)) section(doc, 'auth').gateway_token = gateway;
  if (isRecord(doc.processing_queue)) {
    if (set(env.CODEDISPATCH_WEBHOOK_SECRET)) section(doc, 'processing_queue').webhook_secret = env.CODEDISPATCH_WEBHOOK_SECRET;
    if (set(env.CODEDISPATCH_AMQP_URL)) section(doc, 'processing_queue').amqp_url = env.CODEDISPATCH_AMQP_URL;
  }
  return E.right(doc);
};

/** Rules of the service beyond the document's own: it cannot run without a caller. */
const NO_SERVICE_TOKEN: readonly ConfigIssue[] = [
  { path: 'auth.service_tokens', message: 'at least one service token is required (or set CODEDISPATCH_SERVICE_TOKENS)' },
];
const serviceIssues = (config: ServiceConfig): readonly ConfigIssue[] =>
  Object.keys(config.auth.serviceTokens).length === 0 ? NO_SERVICE_TOKEN : [];

/**
 * A file must name its tracker: left out, the memory tracker would acquire
 * every driver, which is right for the demo and wrong anywhere else.
 */
const NO_TRACKER: readonly ConfigIssue[] = [
  {
    path: 'tracker',
    message:
      'required in a configuration file: {kind: http, url: ...} (kind: memory acquires every driver: demos and tests only)',
  },
];
const fileIssues = (document: unknown): readonly ConfigIssue[] =>
  isRecord(document) && document.tracker !== undefined && document.tracker !== null ? [] : NO_TRACKER;

export interface DocumentRules {
  /** The document came from a file (not the built-in demo): `tracker` is required. */
  readonly fromFile?: boolean;
}

/** A document (already parsed) with the environment's secrets, validated. */
export const configFromDocument = (
  document: unknown,
  env: Env,
  rules: DocumentRules = {},
): E.Either<readonly ConfigIssue[], ServiceConfig> => {
  const withSecrets = applyEnvSecrets(document, env);
  if (E.isLeft(withSecrets)) return withSecrets;
  const decoded = decodeServiceConfig(withSecrets.right);
  const fromFile = rules.fromFile === true ? fileIssues(withSecrets.right) : [];
  if (E.isLeft(decoded)) {
    // Report the missing caller too, so the operator fixes everything in one go.
    const auth = isRecord(withSecrets.right) ? withSecrets.right.auth : undefined;
    const tokens = isRecord(auth) ? auth.service_tokens : undefined;
    const none = !isRecord(tokens) || Object.keys(tokens).length === 0;
    const noCaller = none && !decoded.left.some((i) => i.path.startsWith('auth.service_tokens')) ? NO_SERVICE_TOKEN : [];
    return E.left([...decoded.left, ...noCaller, ...fromFile]);
  }
  const issues = [...serviceIssues(decoded.right), ...fromFile];
  return issues.length > 0 ? E.left(issues) : decoded;
};

/** The configuration named by the environment (`CODEDISPATCH_CONFIG`), or the demo one. */
export const loadConfig = (env: Env = process.env): E.Either<readonly ConfigIssue[], LoadedConfig> => {
  const path = env.CODEDISPATCH_CONFIG;
  const origin: ConfigOrigin = path === undefined || path === '' ? { kind: 'demo' } : { kind: 'file', path };
  const read =
    origin.kind === 'file'
      ? readConfigFile(origin.path)
      : E.right({ document: demoConfigDocument(), text: JSON.stringify(demoConfigDocument()) });
  if (E.isLeft(read)) return read;
  const rules = { fromFile: origin.kind === 'file' };
  const version = documentVersion(read.right.text);
  return E.map((config: ServiceConfig) => ({ config, origin, version }))(configFromDocument(read.right.document, env, rules));
};
