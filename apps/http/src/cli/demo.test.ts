import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordedStreams } from '@codedispatch/postgres/testing';
import { createStorage, service, startInstance } from '../__tests__/harness';
import { DEMO_SERVICE_TOKEN, demoConfigDocument } from '../config/demo-config';
import { main } from './demo';

// The command line against a server that fails everything; the whole flow further down.
describe('npm run demo command line', () => {
  let server: Server;
  let url: string;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end();
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    requests = 0;
  });
  afterAll(async () => {
    server.close();
    await once(server, 'close');
  });

  it('calls the service at --url (the server below counts it)', async () => {
    const io = recordedStreams();
    expect(await main(['--url', url], io)).toBe(1);
    expect(requests).toBeGreaterThan(0);
    expect(io.err).toContain('demo failed');
  });

  it.each([['--help'], ['-h']])('%s prints the usage on stdout, exits 0 and calls nothing', async (flag) => {
    const io = recordedStreams();
    expect(await main(['--url', url, flag], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: npm run demo /);
    expect(io.out).toContain('--url <url>');
    expect(io.err).toBe('');
    expect(requests).toBe(0);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--area'], "Option '--area <value>' argument missing"],
    [['svo_d'], "Unexpected argument 'svo_d'"],
  ])('%j is refused with one line and the usage on stderr, exit 2, and calls nothing', async (argv, message) => {
    const io = recordedStreams();
    expect(await main(['--url', url, ...argv], io)).toBe(2);
    expect(io.out).toBe('');
    const [first, blank] = io.err.split('\n');
    expect(first).toBe(`demo: ${message}`);
    expect(blank).toBe('');
    expect(io.err).toContain('Usage: npm run demo ');
    expect(requests).toBe(0);
  });
});

describe('npm run demo against the service on the demo configuration', () => {
  it('plays the whole flow to assigned, prints the change log and the order in the console', async () => {
    const storage = await createStorage('pglite');
    const inst = await startInstance({ document: demoConfigDocument(), tracker: 'configured', database: await storage.open() });
    try {
      const { port } = inst.server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      const io = recordedStreams();
      expect(await main(['--url', url], io)).toBe(0);
      expect(io.out).toMatch(/change log:\n(.*\n){3}/);
      expect(io.out).toContain('final status: assigned');
      const link = /in the console: (\S+)\/console\/#\/order\/(demo-\S+)\n/.exec(io.out);
      expect(link?.[1]).toBe(url);
      // The link names the order the demo made.
      const orderId = decodeURIComponent(link?.[2] ?? '');
      expect((await inst.get(`/v1/assignments/${orderId}`).set(service(DEMO_SERVICE_TOKEN)).expect(200)).body.status).toBe(
        'assigned',
      );
    } finally {
      await inst.close();
      await storage.close();
    }
  }, 60_000);
});
