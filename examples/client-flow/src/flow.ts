import { createServer } from 'node:http';
import { createClient, verifyEventSignature, SIGNATURE_HEADER, type ProcessingEvent } from '@codedispatch/client';

/*
 * The whole flow as three callers of a running codedispatch make it, with the
 * typed client only: the order system creates an order; the driver enters its
 * code and long-polls; processing receives the code_entered event on its
 * webhook, checks the signature over the raw body, and runs the lookup; the
 * driver's long-poll answers assigned; the order system reads the record.
 */

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

const baseUrl = env('CODEDISPATCH_URL');
const orders = createClient({ baseUrl, auth: { kind: 'service', token: env('ORDERS_TOKEN') } });
const processing = createClient({ baseUrl, auth: { kind: 'service', token: env('PROCESSING_TOKEN') } });
const driverApp = createClient({ baseUrl, auth: { kind: 'driver', jwt: env('DRIVER_JWT') }, acceptLanguage: 'en' });
const secret = env('WEBHOOK_SECRET');

const received: ProcessingEvent[] = [];

// Processing's webhook receiver: verify the bytes as received, then parse, then look the driver up.
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const header = req.headers[SIGNATURE_HEADER.toLowerCase()];
    if (!verifyEventSignature(raw, typeof header === 'string' ? header : undefined, secret)) {
      res.writeHead(401).end();
      return;
    }
    const event = JSON.parse(raw.toString('utf8')) as ProcessingEvent;
    received.push(event);
    processing.processing.lookup(event.order_id).then(
      () => res.writeHead(204).end(),
      () => res.writeHead(503).end(),
    );
  });
});

const main = async (): Promise<void> => {
  await new Promise<void>((resolve) => receiver.listen(Number(env('RECEIVER_PORT')), '127.0.0.1', resolve));
  try {
    const orderId = `example-${Date.now().toString(36)}`;
    const order = await orders.orders.create({ order_id: orderId, area_id: 'svo_d', user_id: 'passenger-1' });
    console.log(`order system: ${order.order_id} has code ${order.code_display} (${order.status})`);

    // The driver types the code as the passenger says it, and waits for the lookup.
    const state = await driverApp.driver.enterCode({ area_id: 'svo_d', code: order.code_display, wait_ms: 10_000 });
    console.log(`driver app: ${state.status}`);
    if (state.status !== 'assigned') throw new Error(`expected assigned, got ${state.status}`);

    const event = received.find((e) => e.order_id === orderId);
    if (event === undefined) throw new Error('no signed event reached the webhook');
    console.log(`processing: event ${event.event_id} (attempt ${event.attempt}) verified and looked up`);

    const record = await orders.orders.get(orderId);
    console.log(
      `order system: ${record.status}, ${record.changes.length} changes: ${record.changes.map((c) => c.to).join(' → ')}`,
    );
    if (record.status !== 'assigned' || record.driver_id === null) throw new Error('the record is not assigned');
  } finally {
    receiver.close();
  }
};

main().then(
  () => console.log('the whole flow ran through @codedispatch/client'),
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
