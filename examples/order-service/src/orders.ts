import { Kysely, PostgresDialect } from 'kysely';
import type { Pool } from 'pg';
import { createCodeDispatch, decodeConfig, formatConfigIssues, type CodeDispatch, type DispatchConfig } from '@codedispatch/core';
import { InMemoryDriverTracker } from '@codedispatch/core/testing';
import { postgresStore, type PostgresStore } from '@codedispatch/postgres';

/*
 * An order system that issues pickup codes with codedispatch: an order and
 * its code are written in one transaction of the order system's own
 * database, on its own pool.
 */

export interface OrdersDatabase {
  orders: { id: string; passenger: string; code: string; code_display: string };
}

export const AIRPORT: DispatchConfig = (() => {
  const decoded = decodeConfig({
    areas: { airport: { enabled: true, instructions: { en: 'Tell this code to the driver of the first car' } } },
  });
  if (decoded._tag === 'Left') throw new Error(formatConfigIssues(decoded.left));
  return decoded.right;
})();

export interface PlacedOrder {
  readonly id: string;
  readonly code: string;
  readonly codeDisplay: string;
  readonly instructions: string | undefined;
}

export class OrderService {
  readonly db: Kysely<OrdersDatabase>;
  readonly dispatch: CodeDispatch;
  private readonly tracker = new InMemoryDriverTracker();

  private constructor(
    pool: Pool,
    readonly store: PostgresStore,
  ) {
    this.db = new Kysely<OrdersDatabase>({ dialect: new PostgresDialect({ pool }) });
    this.dispatch = createCodeDispatch({ store, config: AIRPORT, tracker: this.tracker });
  }

  static async open(pool: Pool): Promise<OrderService> {
    const store = await postgresStore({ pool });
    await store.migrate();
    await pool.query(
      'create table if not exists orders (id text primary key, passenger text not null, code text not null, code_display text not null)',
    );
    return new OrderService(pool, store);
  }

  /** The order and its pickup code, together or not at all. */
  async place(id: string, passenger: string): Promise<PlacedOrder> {
    return this.db.transaction().execute(async (trx) => {
      const dispatch = createCodeDispatch({ store: this.store.inTransaction(trx), config: AIRPORT, tracker: this.tracker });
      const created = await dispatch.createOrder({ orderId: id, areaId: 'airport', userId: passenger, service: 'orders' });
      if (!created.ok) throw new Error(`no code for ${id}: ${created.error.code}`);
      const { assignment, codeDisplay, instructions } = created.value;
      await trx.insertInto('orders').values({ id, passenger, code: assignment.code, code_display: codeDisplay }).execute();
      return { id, code: assignment.code, codeDisplay, instructions };
    });
  }

  /** What the driver app sends when the driver types the passenger's code; then processing acquires the driver. */
  async driverTyped(code: string, parkDbId: string, driverId: string): Promise<string> {
    const entered = await this.dispatch.enterCode({ areaId: 'airport', code, driver: { parkDbId, driverId } });
    if (!entered.ok) return entered.error.code;
    const looked = await this.dispatch.lookupDriver({ orderId: entered.value.orderId, service: 'processing' });
    return looked.ok ? looked.value.assignment.status : looked.error.code;
  }
}
