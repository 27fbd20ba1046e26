import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { Writable } from 'node:stream';
import winston from 'winston';
import { loadConfig, parseServiceTokens } from './load-config';
import { ReloadableConfigSource } from './reloadable-config-source';
import { DEMO_SERVICE_TOKEN } from './demo-config';

const dir = mkdtempSync(join(tmpdir(), 'codedispatch-config-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const VALID_YAML = `
processing_enabled: true
areas:
  svo_d:
    instructions: {ru: "Назовите код", en: "Tell the code"}
    generator: {length: 5}
auth:
  service_tokens: {ordercommit: "tok-ordercommit"}
  driver_jwt: {hs256_secret: "a-secret-of-at-least-32-bytes-0123456789"}
tracker: {kind: memory}
processing_queue: {sink: embedded}
`;

const capture = () => {
  const lines: Record<string, unknown>[] = [];
  const logger = winston.createLogger({
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          write(chunk: Buffer, _e, done) {
            for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
            done();
          },
        }),
      }),
    ],
  });
  return { logger, lines };
};

describe('loading the configuration', () => {
  it('uses the demo document when CODEDISPATCH_CONFIG is unset', () => {
    const loaded = loadConfig({});
    expect(E.isRight(loaded) && loaded.right.origin).toEqual({ kind: 'demo' });
    expect(E.isRight(loaded) && loaded.right.config.auth.serviceTokens).toEqual({ demo: DEMO_SERVICE_TOKEN });
    expect(E.isRight(loaded) && Object.keys(loaded.right.config.areas)).toEqual(['svo_d', 'zenit']);
    expect(E.isRight(loaded) && loaded.right.config.areas.svo_d?.driverDueOffsetS).toBe(120);
  });

  it('reads YAML and JSON by extension', () => {
    const yaml = loadConfig({ CODEDISPATCH_CONFIG: file('c.yaml', VALID_YAML) });
    expect(E.isRight(yaml) && yaml.right.config.areas.svo_d?.generator.length).toBe(5);
    const json = loadConfig({
      CODEDISPATCH_CONFIG: file(
        'c.json',
        JSON.stringify({ auth: { service_tokens: { a: 'tok-a' } }, tracker: { kind: 'memory' } }),
      ),
    });
    expect(E.isRight(json) && json.right.config.auth.serviceTokens).toEqual({ a: 'tok-a' });
  });

  it('lets the environment override secrets', () => {
    const loaded = loadConfig({
      CODEDISPATCH_CONFIG: file('env.yaml', VALID_YAML),
      CODEDISPATCH_SERVICE_TOKENS: 'ordercommit=env-1, processing=env-2',
      CODEDISPATCH_DRIVER_JWT_SECRET: 'env-secret-0123456789abcdef-0123456789',
      CODEDISPATCH_GATEWAY_TOKEN: 'env-gateway',
    });
    if (E.isLeft(loaded)) throw new Error(JSON.stringify(loaded.left));
    expect(loaded.right.config.auth).toMatchObject({
      serviceTokens: { ordercommit: 'env-1', processing: 'env-2' },
      driverJwt: { hs256Secret: 'env-secret-0123456789abcdef-0123456789' },
      gatewayToken: 'env-gateway',
    });
    expect(E.isLeft(parseServiceTokens('nameonly'))).toBe(true);
  });

  it('reads operator tokens from the document and lets CODEDISPATCH_OPERATOR_TOKENS replace them', () => {
    const withOperators = VALID_YAML.replace('auth:\n', 'auth:\n  operator_tokens: {alice: "doc-op"}\n');
    const fromDocument = loadConfig({ CODEDISPATCH_CONFIG: file('ops.yaml', withOperators) });
    if (E.isLeft(fromDocument)) throw new Error(JSON.stringify(fromDocument.left));
    expect(fromDocument.right.config.auth.operatorTokens).toEqual({ alice: 'doc-op' });
    const fromEnv = loadConfig({
      CODEDISPATCH_CONFIG: file('ops-env.yaml', withOperators),
      CODEDISPATCH_OPERATOR_TOKENS: 'alice=tok1, bob=tok2',
    });
    if (E.isLeft(fromEnv)) throw new Error(JSON.stringify(fromEnv.left));
    expect(fromEnv.right.config.auth.operatorTokens).toEqual({ alice: 'tok1', bob: 'tok2' });
    const bad = loadConfig({ CODEDISPATCH_CONFIG: file('ops-bad.yaml', VALID_YAML), CODEDISPATCH_OPERATOR_TOKENS: 'alice' });
    expect(E.isLeft(bad) && bad.left.map((i) => i.path)).toEqual(['CODEDISPATCH_OPERATOR_TOKENS[0]']);
    const none = loadConfig({ CODEDISPATCH_CONFIG: file('ops-none.yaml', VALID_YAML) });
    expect(E.isRight(none) && none.right.config.auth.operatorTokens).toEqual({});
  });

  it('reports every issue of an invalid document, with paths', () => {
    const loaded = loadConfig({
      CODEDISPATCH_CONFIG: file(
        'bad.yaml',
        'processing_enabled: maybe\nareas: {svo_d: {order_expire_s: -1, colour: red}}\nauth: {service_tokens: {a: "t"}}\n',
      ),
    });
    expect(E.isLeft(loaded) && loaded.left.map((i) => i.path)).toEqual(
      expect.arrayContaining(['processing_enabled', 'areas.svo_d.order_expire_s', 'areas.svo_d.colour']),
    );
  });

  it('refuses malformed YAML and a missing file', () => {
    expect(E.isLeft(loadConfig({ CODEDISPATCH_CONFIG: file('broken.yaml', 'areas: {svo_d: [') }))).toBe(true);
    expect(E.isLeft(loadConfig({ CODEDISPATCH_CONFIG: join(dir, 'missing.yaml') }))).toBe(true);
  });

  it('refuses to start without a service token', () => {
    const loaded = loadConfig({ CODEDISPATCH_CONFIG: file('none.yaml', 'processing_enabled: true\ntracker: {kind: memory}\n') });
    expect(E.isLeft(loaded) && loaded.left.map((i) => i.path)).toEqual(['auth.service_tokens']);
  });

  it('requires a tracker in a file (the demo document keeps its memory tracker)', () => {
    const without = VALID_YAML.replace('tracker: {kind: memory}\n', '');
    const loaded = loadConfig({ CODEDISPATCH_CONFIG: file('no-tracker.yaml', without) });
    expect(E.isLeft(loaded) && loaded.left).toEqual([
      { path: 'tracker', message: expect.stringMatching(/^required in a configuration file/) },
    ]);
    const alsoBroken = loadConfig({
      CODEDISPATCH_CONFIG: file(
        'no-tracker-2.yaml',
        `${without}processing_enabled: 3\n`.replace('processing_enabled: true\n', ''),
      ),
    });
    expect(E.isLeft(alsoBroken) && alsoBroken.left.map((i) => i.path)).toEqual(['processing_enabled', 'tracker']);
    const demo = loadConfig({});
    expect(E.isRight(demo) && demo.right.config.tracker).toEqual({ kind: 'memory' });
  });

  it('never prints a secret of the document: the issue names the path and the expected type', () => {
    const yaml = VALID_YAML.replace('tracker: {kind: memory}', 'tracker: {kind: memory}\n').replace(
      'processing_queue: {sink: embedded}',
      'processing_queue: {sink: webhook, webhook_url: "http://127.0.0.1:9200/e", webhook_secret: 8675309123}',
    );
    const loaded = loadConfig({ CODEDISPATCH_CONFIG: file('secret.yaml', yaml) });
    if (E.isRight(loaded)) throw new Error('expected the document to be refused');
    expect(loaded.left).toEqual([
      { path: 'processing_queue.webhook_secret', message: 'expected non-empty string, got a number (value not shown)' },
    ]);
    expect(JSON.stringify(loaded.left)).not.toContain('8675309123');
  });
});

describe('reloading', () => {
  it('keeps the last good configuration on an invalid document and logs every issue', () => {
    const path = file('reload.yaml', VALID_YAML);
    const env = { CODEDISPATCH_CONFIG: path };
    const { logger, lines } = capture();
    const first = loadConfig(env);
    if (E.isLeft(first)) throw new Error('invalid');
    const source = new ReloadableConfigSource(first.right, () => loadConfig(env), logger);
    writeFileSync(path, VALID_YAML.replace('processing_enabled: true', 'processing_enabled: false'));
    expect(E.isRight(source.reload('SIGHUP'))).toBe(true);
    expect(source.current().processingEnabled).toBe(false);

    writeFileSync(
      path,
      'processing_enabled: yes-please\nareas: {svo_d: {max_failed_attempts: 0}}\nauth: {service_tokens: {a: "t"}}\n',
    );
    expect(E.isLeft(source.reload('SIGHUP'))).toBe(true);
    expect(source.current().processingEnabled).toBe(false);
    const issues = lines.filter((l) => l.message === 'configuration issue').map((l) => l.path);
    expect(issues).toEqual(expect.arrayContaining(['processing_enabled', 'areas.svo_d.max_failed_attempts']));
    expect(lines.find((l) => l.message === 'configuration refused; the last good one stays in force')).toMatchObject({
      issue_count: issues.length,
    });
  });

  it('remembers the version and load time of the document in force and the outcome of the last reload', () => {
    const path = file('status.yaml', VALID_YAML);
    const env = { CODEDISPATCH_CONFIG: path };
    const first = loadConfig(env);
    if (E.isLeft(first)) throw new Error('invalid');
    expect(first.right.version).toBe(`sha256:${createHash('sha256').update(VALID_YAML).digest('hex').slice(0, 16)}`);
    let now = new Date('2026-12-06T10:00:00.000Z');
    const source = new ReloadableConfigSource(
      first.right,
      () => loadConfig(env),
      capture().logger,
      () => now,
    );
    expect(source.status()).toEqual({
      origin: { kind: 'file', path },
      version: first.right.version,
      loadedAt: new Date('2026-12-06T10:00:00.000Z'),
      lastReload: null,
      appliesAtRestart: [],
    });

    const changed = VALID_YAML.replace('tracker: {kind: memory}', 'tracker: {kind: http, url: "http://tracker.local"}');
    writeFileSync(path, changed);
    now = new Date('2026-12-06T10:01:00.000Z');
    source.reload('SIGHUP');
    const applied = source.status();
    expect(applied.version).toBe(`sha256:${createHash('sha256').update(changed).digest('hex').slice(0, 16)}`);
    expect(applied.loadedAt).toEqual(now);
    expect(applied.lastReload).toEqual({ at: now, trigger: 'SIGHUP', outcome: 'applied', issues: [] });
    expect(applied.appliesAtRestart).toEqual(['tracker']);

    writeFileSync(path, 'processing_enabled: maybe\n');
    now = new Date('2026-12-06T10:02:00.000Z');
    source.reload('file change');
    const refused = source.status();
    expect(refused.version).toBe(applied.version);
    expect(refused.loadedAt).toEqual(new Date('2026-12-06T10:01:00.000Z'));
    expect(refused.lastReload).toMatchObject({ at: now, trigger: 'file change', outcome: 'refused' });
    expect(refused.lastReload?.issues.map((i) => i.path)).toContain('processing_enabled');
  });

  it('reloads when the file changes', async () => {
    const path = file('watched.yaml', VALID_YAML);
    const env = { CODEDISPATCH_CONFIG: path };
    const first = loadConfig(env);
    if (E.isLeft(first)) throw new Error('invalid');
    const source = new ReloadableConfigSource(first.right, () => loadConfig(env), capture().logger);
    source.watchFile(path, 50);
    try {
      writeFileSync(path, VALID_YAML.replace('processing_enabled: true', 'processing_enabled: false'));
      for (let i = 0; i < 40 && source.current().processingEnabled; i++) await new Promise((r) => setTimeout(r, 50));
      expect(source.current().processingEnabled).toBe(false);
    } finally {
      source.stopWatching();
    }
  });
});
