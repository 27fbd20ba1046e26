import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../app';
import { conforms } from '../../__tests__/contract';
import { startInstance, type Instance } from '../../__tests__/harness';
import { CONSOLE_CSP } from './console-page';

const builtConsole = (): string => {
  const dist = mkdtempSync(join(tmpdir(), 'codedispatch-console-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(
    join(dist, 'index.html'),
    '<!doctype html><title>codedispatch console</title><script src="/console/assets/app-1a2b.js"></script>',
  );
  writeFileSync(join(dist, 'assets', 'app-1a2b.js'), 'console.log("console");');
  return dist;
};

describe('/console', () => {
  let inst: Instance;
  beforeAll(async () => {
    inst = await startInstance({ background: false });
  });
  afterAll(() => inst.close());

  it('serves index.html at /console and /console/ uncached, with a policy that allows only this origin', async () => {
    const app = createApp({ ...inst.deps, consoleDist: builtConsole });
    for (const path of ['/console', '/console/']) {
      const res = await request(app).get(path).expect(200).expect(conforms);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('<title>codedispatch console</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe|https:|http:|\*/);
  });

  it('serves the hashed assets for a year, and a missing asset as a 404 problem', async () => {
    const app = createApp({ ...inst.deps, consoleDist: builtConsole });
    const asset = await request(app).get('/console/assets/app-1a2b.js').expect(200).expect(conforms);
    expect(asset.text).toBe('console.log("console");');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await request(app).get('/console/assets/nope.js').expect(404).expect(conforms);
    expect(missing.body.code).toBe('not_found');
  });

  it('answers 404 not_found saying so when the console is not installed', async () => {
    const app = createApp({ ...inst.deps, consoleDist: () => null });
    for (const path of ['/console', '/console/assets/app.js']) {
      const res = await request(app).get(path).expect(404).expect(conforms);
      expect(res.body).toMatchObject({ code: 'not_found', detail: expect.stringContaining('not installed') });
    }
  });

  it('answers 404 not_found, not a client error, while a rebuild has emptied dist/ for a moment', async () => {
    const dist = builtConsole();
    const app = createApp({ ...inst.deps, consoleDist: () => dist });
    await request(app).get('/console/').expect(200);
    rmSync(join(dist, 'index.html'));
    const res = await request(app).get('/console/').expect(404).expect(conforms);
    expect(res.body).toMatchObject({ code: 'not_found', detail: expect.stringContaining('rebuilt') });
  });
});
