import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import { openApiDocument } from '../http/openapi';

/*
 * Every response the e2e suite observes is checked against the OpenAPI
 * document: the route and status must be documented, the content type must
 * be one the document gives, and a JSON body must match its schema
 * (JSON Schema 2020-12, as OpenAPI 3.1 uses it).
 */

type Json = Record<string, unknown>;

const document = openApiDocument() as Json & { paths: Record<string, Record<string, Json>> };

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(document, 'api');

const escape = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

const validators = new Map<string, ValidateFunction>();
const validatorAt = (pointer: string): ValidateFunction => {
  let v = validators.get(pointer);
  if (v === undefined) {
    v = ajv.compile({ $ref: `api#${pointer}` });
    validators.set(pointer, v);
  }
  return v;
};

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
}));

/** The documented response for a request, as a JSON pointer into the document. */
const responsePointer = (method: string, path: string, status: number): string | null => {
  const match = templates.find((t) => t.pattern.test(path));
  if (match === undefined) return status === 404 ? '/x-unmatched-responses/NotFound' : null;
  const operation = document.paths[match.template]?.[method.toLowerCase()] as { responses: Record<string, unknown> } | undefined;
  if (operation === undefined) return status === 405 ? '/x-unmatched-responses/MethodNotAllowed' : null;
  const key = String(status) in operation.responses ? String(status) : 'default' in operation.responses ? 'default' : null;
  return key === null ? null : `/paths/${escape(match.template)}/${method.toLowerCase()}/responses/${key}`;
};

const resolve = (pointer: string): Json | undefined =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], document) as Json | undefined;

/** Why a response does not match the document, or null when it does. */
export const contractViolation = (
  method: string,
  url: string,
  status: number,
  contentType: string | undefined,
  body: unknown,
): string | null => {
  if (method.toUpperCase() === 'HEAD' || method.toUpperCase() === 'OPTIONS') return null; // no body to check
  const path = new URL(url, 'http://x').pathname;
  const pointer = responsePointer(method, path, status);
  if (pointer === null) return `${method} ${path} → ${status} is not documented`;
  const content = resolve(`${pointer}/content`);
  if (content === undefined) return null; // documented without a body
  const mediaType = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (!(mediaType in content))
    return `${method} ${path} → ${status}: content type ${mediaType || '(none)'} is not one of ${Object.keys(content).join(', ')}`;
  if (!mediaType.includes('json')) return null;
  const validate = validatorAt(`${pointer}/content/${escape(mediaType)}/schema`);
  if (validate(body)) return null;
  return `${method} ${path} → ${status}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`;
};

/** A supertest assertion: `.expect(conforms)`. */
export const conforms = (res: Response): void => {
  const req = (res as unknown as { req: { method: string; path: string } }).req;
  const violation = contractViolation(
    req.method,
    req.path,
    res.status,
    res.headers['content-type'] as string | undefined,
    res.body,
  );
  if (violation !== null) throw new Error(violation);
};
