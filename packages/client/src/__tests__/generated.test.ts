import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from '../../../../apps/http/src/http/openapi';

const PACKAGE = join(__dirname, '..', '..');
const GENERATED = join(PACKAGE, 'src', 'generated', 'openapi.ts');

/*
 * openapi-typescript and prettier are ES modules that load further ES modules,
 * which Jest's CommonJS runtime cannot: their Node APIs run in a child process,
 * as `npm run generate` runs them, on the document given on stdin.
 */
const GENERATOR = `
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { format, resolveConfig } from 'prettier';
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const document = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const text = COMMENT_HEADER + astToString(await openapiTS(document, { silent: true }));
const filepath = ${JSON.stringify(GENERATED)};
process.stdout.write(await format(text, { ...(await resolveConfig(filepath)), filepath }));
`;

/** What `npm run generate -w packages/client` writes, from the document the service's source gives now. */
const regenerate = (): string =>
  execFileSync(process.execPath, ['--input-type=module', '-e', GENERATOR], {
    cwd: PACKAGE,
    input: JSON.stringify(openApiDocument()),
    encoding: 'utf8',
  });

describe('generated types', () => {
  it('src/generated/openapi.ts is what the current OpenAPI document gives (else run npm run generate -w packages/client)', () => {
    expect(readFileSync(GENERATED, 'utf8')).toBe(regenerate());
  });
});
