import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'pg';
import { OrderService } from '../src/orders';

describe('OrderService on PostgreSQL', () => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  let orders: OrderService;
  before(async () => {
    orders = await OrderService.open(pool);
  });
  after(() => pool.end());

  it('keeps the order and its code together, shown grouped', async () => {
    const placed = await orders.place('t-1', 'p-1');
    const row = await orders.db.selectFrom('orders').selectAll().where('id', '=', 't-1').executeTakeFirstOrThrow();
    assert.equal(row.code, placed.code);
    assert.equal(placed.codeDisplay.replace(' ', ''), placed.code);
    const record = await orders.dispatch.getAssignment('t-1');
    assert.equal(record.ok && record.value.status, 'pending');
  });

  it('writes neither when the order cannot be saved', async () => {
    await orders.place('t-2', 'p-2');
    await assert.rejects(orders.place('t-2', 'p-3'));
    const rows = await orders.db.selectFrom('orders').select('passenger').where('id', '=', 't-2').execute();
    assert.deepEqual(rows, [{ passenger: 'p-2' }]);
  });

  it('assigns the order to the driver who typed its code, and refuses a second driver', async () => {
    const placed = await orders.place('t-3', 'p-3');
    assert.equal(await orders.driverTyped(placed.codeDisplay, 'park-1', 'd-3'), 'assigned');
    assert.equal(await orders.driverTyped(placed.code, 'park-1', 'd-4'), 'code_not_found');
  });
});
