/*
 * The webhook receiver the service's outbox relay delivers processing events
 * to during the benchmarks: reads each body and answers 204. `PORT`, `HOST`.
 */
import { createServer } from 'node:http';

let delivered = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.method === 'POST') delivered++;
    res.writeHead(req.url === '/ping' ? 200 : 204);
    res.end();
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 8083), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  process.stdout.write(`sink: ${delivered} events received\n`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
