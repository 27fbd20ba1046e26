import * as E from 'fp-ts/Either';
import { recordedStreams } from '@codedispatch/postgres/testing';
import {
  createOrder,
  createStorage,
  OPERATOR_TOKEN,
  RecordingSink,
  SERVICE_TOKEN,
  startInstance,
  type Instance,
  type TestStorage,
} from '../__tests__/harness';
import { main, parseAdminCommand, table } from './admin';

describe('npm run admin: the command line', () => {
  it.each([
    [['areas'], { kind: 'areas' }],
    [['order', 'o1'], { kind: 'order', orderId: 'o1' }],
    [['find', 'svo_d', '482 918'], { kind: 'find', areaId: 'svo_d', code: '482 918' }],
    [['dead-letters'], { kind: 'dead-letters' }],
    [['redrive', 'e1'], { kind: 'redrive', eventId: 'e1' }],
    [['config'], { kind: 'config' }],
  ])('%j is the command %j', (positionals, command) => {
    expect(parseAdminCommand(positionals, false)).toEqual(E.right(command));
  });

  it('redrive --all is every dead letter', () => {
    expect(parseAdminCommand(['redrive'], true)).toEqual(E.right({ kind: 'redrive-all' }));
  });

  it.each([
    [[], 'a command is required'],
    [['areas', 'x'], 'areas takes no argument'],
    [['order'], 'order takes one argument: <order_id>'],
    [['find', 'svo_d'], 'find takes two arguments: <area_id> <code>'],
    [['redrive'], 'redrive takes one argument: <event_id> (or --all)'],
    [['launch'], 'unknown command "launch"'],
  ])('%j is refused: %s', (positionals, message) => {
    expect(parseAdminCommand(positionals, false)).toEqual(E.left(message));
  });

  it.each([
    [['areas', '--bogus'], "Unknown option '--bogus'"],
    [['areas'], 'an operator token is required: --token or CODEDISPATCH_OPERATOR_TOKEN'],
    [['areas', '--token', 't', '--url', 'ftp://x'], '--url "ftp://x" is not an http(s) URL'],
    [['areas', '--token', 't', '--all'], '--all goes only with redrive'],
    [['redrive', 'e1', '--all', '--token', 't'], 'redrive --all takes no event id'],
  ])('%j exits 2 with one line and the usage on stderr', async (argv, message) => {
    const io = recordedStreams();
    expect(await main(argv, io, {})).toBe(2);
    expect(io.err.split('\n')[0]).toBe(`admin: ${message}`);
    expect(io.err).toContain('Usage: npm run admin -- <command>');
    expect(io.out).toBe('');
  });

  it('--help prints the usage and exits 0', async () => {
    const io = recordedStreams();
    expect(await main(['--help'], io, {})).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run admin -- <command>/);
  });

  it('pads table columns to their widest cell', () => {
    expect(table(['A', 'BB'], [['long', 'x']])).toBe('A     BB\nlong  x\n');
  });

  it('prints no control character a last_error or a reason may carry', () => {
    expect(table(['E'], [['refused\u001b[2J\nnext\u0007']])).toBe('E\nrefused [2J next\n');
  });
});

describe('npm run admin against a running service', () => {
  let storage: TestStorage;
  let inst: Instance;
  let url: string;
  beforeAll(async () => {
    storage = await createStorage('pglite');
    inst = await startInstance({ database: await storage.open(), sink: new RecordingSink() });
    const address = inst.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await inst.close();
    await storage.close();
  });

  const run = async (argv: readonly string[], env: Record<string, string> = {}) => {
    const io = recordedStreams();
    const code = await main(argv, io, { CODEDISPATCH_URL: url, CODEDISPATCH_OPERATOR_TOKEN: OPERATOR_TOKEN, ...env });
    return { code, out: io.out, err: io.err };
  };

  it('areas prints a row per configured area; --json prints the API answer', async () => {
    const text = await run(['areas']);
    expect(text.code).toBe(0);
    const lines = text.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AREA\s+ENABLED\s+CODE SPACE\s+PENDING/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      'svo_d',
      'zenit',
      'closed',
      'outside',
      'tiny',
      'fast',
      'strict',
    ]);
    const json = await run(['areas', '--json']);
    expect(JSON.parse(json.out).areas).toHaveLength(7);
  });

  it('order prints the record and its change log; find finds it by the typed code', async () => {
    const order = await createOrder(inst);
    const story = await run(['order', order.order_id]);
    expect(story.code).toBe(0);
    expect(story.out).toContain(`order ${order.order_id}  area svo_d  code ${order.code_display}  status pending`);
    expect(story.out).toMatch(/\n\S+Z\s+-\s+pending\s+service ordercommit/);
    const found = await run(['find', 'svo_d', order.code_display]);
    expect(found.out).toContain(order.order_id);
    const json = await run(['find', 'svo_d', order.code, '--json']);
    expect(JSON.parse(json.out).orders[0].order_id).toBe(order.order_id);
  });

  it('dead-letters, redrive --all and config', async () => {
    expect((await run(['dead-letters'])).out).toMatch(/^outbox depth \d+ {2}oldest [\d.]+ s {2}dead letters 0\n/);
    expect(await run(['redrive', '--all'])).toEqual({ code: 0, out: 'redriven 0\n', err: '' });
    const config = await run(['config']);
    expect(config.out).toMatch(/^origin {6}demo\nversion {5}sha256:[0-9a-f]{16}\n/);
  });

  it('exits 1 printing the problem code and detail', async () => {
    const missing = await run(['redrive', '0b8f6c1e-1d3c-4c53-9d1f-5d2a3c4b5e6f']);
    expect(missing).toEqual({ code: 1, out: '', err: expect.stringMatching(/^admin: not_found: No dead letter has/) });
    const bad = await run(['redrive', 'not-a-uuid']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^admin: invalid_request: .*\n {2}event_id: /);
    const forbidden = await run(['config', '--token', SERVICE_TOKEN]);
    expect(forbidden.code).toBe(1);
    expect(forbidden.err).toMatch(/^admin: forbidden: /);
    // With --json, the problem document itself.
    const json = await run(['redrive', '0b8f6c1e-1d3c-4c53-9d1f-5d2a3c4b5e6f', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.err)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('names CODEDISPATCH_URL when that is the bad URL', async () => {
    const res = await run(['config'], { CODEDISPATCH_URL: 'ftp://nowhere' });
    expect(res.code).toBe(2);
    expect(res.err.split('\n')[0]).toBe('admin: CODEDISPATCH_URL "ftp://nowhere" is not an http(s) URL');
  });

  it('--token wins over CODEDISPATCH_OPERATOR_TOKEN', async () => {
    const res = await run(['config', '--token', OPERATOR_TOKEN], { CODEDISPATCH_OPERATOR_TOKEN: 'wrong' });
    expect(res.code).toBe(0);
    const wrong = await run(['config', '--token', 'wrong']);
    expect(wrong.err).toMatch(/^admin: unauthorized: /);
  });
});
