import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { ROUTES } from '../app';
import { contractViolation } from '../__tests__/contract';
import { openApiDocument } from './openapi';
import { PROBLEM_CODES, toProblem } from './problem';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = openApiDocument() as Json;
const toTemplate = (route: string): string => route.replace(/:([a-z_]+)/g, '{$1}');

describe('the OpenAPI document', () => {
  it('describes the outgoing event as a webhook, with the schema the processing queue publishes', () => {
    const published = JSON.parse(
      readFileSync(require.resolve('@codedispatch/processing-queue/processing-event.schema.json'), 'utf8'),
    ) as Json;
    const post = doc.webhooks.codeEntered.post as Json;
    expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ProcessingEvent' });
    const { $schema: _dialect, $id: _id, ...schema } = published;
    expect(doc.components.schemas.ProcessingEvent).toEqual(schema);
    expect(post.parameters.map((p: Json) => p.name)).toEqual(['X-Codedispatch-Signature', 'X-Codedispatch-Event-Id']);
  });

  it("is OpenAPI 3.1, with the service's own version, license and contact, and documents every route and method the app answers", () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({
      version: (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version,
      license: { identifier: 'Apache-2.0' },
      contact: { name: expect.any(String) },
    });
    for (const operation of Object.values(doc.paths as Json).flatMap((p: Json) => Object.values(p) as Json[]))
      expect(operation.description).toEqual(expect.any(String));
    for (const [route, methods] of Object.entries(ROUTES)) {
      for (const method of methods) expect(doc.paths[toTemplate(route)]?.[method.toLowerCase()]).toBeDefined();
    }
  });

  it('compiles every schema it uses (every $ref resolves)', () => {
    const ajv = new Ajv2020({ strict: false, validateSchema: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'api');
    let compiled = 0;
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        const escaped = path.replace(/~/g, '~0').replace(/\//g, '~1');
        for (const [status, response] of Object.entries((op as Json).responses as Json)) {
          for (const type of Object.keys((response as Json).content ?? {})) {
            ajv.compile({
              $ref: `api#/paths/${escaped}/${method}/responses/${status}/content/${type.replace(/\//g, '~1')}/schema`,
            });
            compiled++;
          }
        }
        if ((op as Json).requestBody)
          ajv.compile({ $ref: `api#/paths/${escaped}/${method}/requestBody/content/application~1json/schema` });
      }
    }
    expect(compiled).toBeGreaterThan(30);
  });

  it('names every problem code somewhere', () => {
    const text = JSON.stringify(doc);
    for (const code of PROBLEM_CODES) expect(text).toContain(`"${code}"`);
  });

  it('matches the problem documents the app renders', () => {
    expect(
      contractViolation(
        'POST',
        '/v1/order/assign',
        429,
        'application/problem+json',
        toProblem({ code: 'too_many_attempts', retryAfterS: 3 }, { driverLocale: 'en' }).body,
      ),
    ).toBeNull();
    expect(
      contractViolation(
        'POST',
        '/v1/drivers-lookup',
        409,
        'application/problem+json',
        toProblem({ code: 'assignment_not_processing', assignmentStatus: 'pending' }).body,
      ),
    ).toBeNull();
    // A code the route cannot answer is a violation.
    expect(
      contractViolation(
        'POST',
        '/v1/drivers-lookup',
        409,
        'application/problem+json',
        toProblem({ code: 'code_already_in_use' }).body,
      ),
    ).not.toBeNull();
    expect(contractViolation('GET', '/v1/assignment/status', 418, 'application/problem+json', {})).toMatch(/not documented/);
  });
});
