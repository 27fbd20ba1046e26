import { Pool } from 'pg';
import { EmbeddedSink, startWorker } from '@codedispatch/processing-queue';
import { OrderService } from './orders';

const main = async (): Promise<void> => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  try {
    const orders = await OrderService.open(pool);
    const delivered: string[] = [];
    const worker = await startWorker({
      dispatch: orders.dispatch,
      store: orders.store,
      sink: new EmbeddedSink(async (event) => void delivered.push(event.type)),
      relayPollIntervalMs: 100,
    });
    const placed = await orders.place(`order-${Date.now()}`, 'passenger-1');
    console.log(`placed ${placed.id}: code ${placed.codeDisplay} (${placed.instructions ?? 'no instructions'})`);
    console.log(`driver typed it: ${await orders.driverTyped(placed.codeDisplay, 'park-1', `driver-${placed.id}`)}`);
    for (let i = 0; i < 50 && delivered.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    console.log(`events delivered: ${delivered.join(', ')}`);
    await worker.stop();
    if (delivered.length === 0) process.exitCode = 1;
  } finally {
    await pool.end();
  }
};

void main();
