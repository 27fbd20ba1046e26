import { orderId, type OrderId } from '@codedispatch/core';
import { OrderSubscribers } from '@codedispatch/postgres';
import { LongPoll, type LongPollOptions } from './long-poll';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records per order, and the reads made of each. */
class Store {
  readonly state = new Map<string, string>();
  readonly reads = new Map<string, number>();
  failing = false;

  constructor(entries: Record<string, string>) {
    for (const [id, s] of Object.entries(entries)) this.state.set(id, s);
  }

  readonly read = async (id: OrderId): Promise<string> => {
    this.reads.set(id, (this.reads.get(id) ?? 0) + 1);
    const failing = this.failing;
    const state = this.state.get(id) ?? 'none';
    await later(1);
    if (failing) throw new Error('database away');
    return state;
  };

  readsOf(id: string): number {
    return this.reads.get(id) ?? 0;
  }
}

const setup = (entries: Record<string, string>, options: Partial<LongPollOptions<string>> = {}) => {
  // A change emitted with a record was made in this process; without one, it was heard from elsewhere.
  const changes = new OrderSubscribers<string>();
  const store = new Store(entries);
  const longPoll = new LongPoll<string>({ feed: changes, read: store.read, ...options });
  /** One call: its snapshot, then a wait until its view differs from that snapshot. */
  const call = async (id: string, waitMs: number, view: (s: string) => Promise<string | undefined> = async (s) => s) => {
    const poll = longPoll.watch(orderId(id));
    try {
      const initial = (await view(await poll.record())) as string;
      return await poll.until({ waitMs, view, done: (v) => v !== initial, initial });
    } finally {
      poll.close();
    }
  };
  const change = (id: string, to: string) => {
    store.state.set(id, to);
    changes.emit(id);
  };
  const commitHere = (id: string, to: string) => {
    store.state.set(id, to);
    changes.emit(id, to);
  };
  const waitingFor = async (n: number) => {
    while (longPoll.waiting !== n) await later(2);
  };
  return { changes, store, longPoll, call, change, commitHere, waitingFor };
};

describe('long-poll', () => {
  it('answers as soon as a notification shows a changed state, not on one that changes nothing', async () => {
    const { store, changes, call, change, waitingFor } = setup({ o1: 'processing' });
    const started = Date.now();
    const answer = call('o1', 5000);
    await waitingFor(1);
    changes.emit('o1'); // nothing changed: keep waiting
    while (store.readsOf('o1') < 2) await later(2);
    change('o1', 'assigned');
    await expect(answer).resolves.toBe('assigned');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(store.readsOf('o1')).toBe(3);
  });

  it('wakes only the calls of the order that changed, and reads only that order', async () => {
    const { store, longPoll, call, change, waitingFor } = setup({ a: 'processing', b: 'processing', c: 'processing' });
    let answered = '';
    const waits = ['a', 'b', 'c'].map((id) => call(id, 400).then((s) => (answered += `${id}:${s} `)));
    await waitingFor(3);
    change('b', 'assigned');
    while (longPoll.waiting !== 2) await later(2);
    expect(answered).toBe('b:assigned ');
    expect([store.readsOf('a'), store.readsOf('b'), store.readsOf('c')]).toEqual([1, 2, 1]);
    await Promise.all(waits);
  });

  it('reads a changed order once for all the calls waiting on it', async () => {
    const { store, call, change, waitingFor } = setup({ o1: 'processing' });
    const answers = Promise.all(Array.from({ length: 50 }, () => call('o1', 5000)));
    await waitingFor(50);
    expect(store.readsOf('o1')).toBe(1); // the first snapshot, shared too
    change('o1', 'assigned');
    await expect(answers).resolves.toEqual(Array(50).fill('assigned'));
    expect(store.readsOf('o1')).toBe(2);
  });

  it('answers at the deadline with the record seen then, without reading it again when nothing was notified', async () => {
    const { store, call } = setup({ o1: 'pending' });
    const expiresAt = Date.now() + 60;
    // The view applies what the clock does to a record (an expiry due by the deadline shows).
    const view = async (s: string) => (s === 'pending' && Date.now() >= expiresAt ? 'expired' : s);
    const started = Date.now();
    await expect(call('o1', 100, view)).resolves.toBe('expired');
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(store.readsOf('o1')).toBe(1);
  });

  it('answers at the deadline with an unchanged view when the change is not one the call waits for', async () => {
    const { store, longPoll, change, waitingFor } = setup({ o1: 'error' });
    const poll = longPoll.watch(orderId('o1'));
    const initial = await poll.record();
    const answer = poll.until({ waitMs: 100, view: async () => 'his own failure', done: () => false, initial });
    await waitingFor(1);
    change('o1', 'processing'); // another driver's entry: this driver keeps seeing his failure
    await expect(answer).resolves.toBe('his own failure');
    poll.close();
    expect(store.readsOf('o1')).toBe(2);
  });

  it('reads again at the deadline when the read after a notification failed, and keeps the last view when that fails too', async () => {
    const { store, changes, call, waitingFor } = setup({ o1: 'processing', o2: 'processing' });
    const started = Date.now();
    const first = call('o1', 150);
    await waitingFor(1);
    store.failing = true;
    store.state.set('o1', 'assigned');
    changes.emit('o1');
    while (store.readsOf('o1') < 2) await later(2);
    store.failing = false;
    await expect(first).resolves.toBe('assigned');
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(store.readsOf('o1')).toBe(3);

    const second = call('o2', 80);
    await waitingFor(1);
    store.failing = true;
    changes.emit('o2');
    await expect(second).resolves.toBe('processing');
  });

  it('sees a change notified between its snapshot and its wait', async () => {
    const { longPoll, change } = setup({ o1: 'processing' });
    const poll = longPoll.watch(orderId('o1'));
    const initial = await poll.record();
    change('o1', 'error'); // nobody was waiting: nothing read it yet
    await expect(poll.until({ waitMs: 5000, view: async (s) => s, done: (s) => s !== initial, initial })).resolves.toBe('error');
    poll.close();
  });

  it('sees a record another call read between its snapshot and its wait', async () => {
    const { longPoll, call, change, waitingFor } = setup({ o1: 'processing' });
    const late = longPoll.watch(orderId('o1'));
    const initial = await late.record();
    const other = call('o1', 5000);
    await waitingFor(1);
    change('o1', 'assigned');
    await expect(other).resolves.toBe('assigned');
    await expect(late.until({ waitMs: 5000, view: async (s) => s, done: (s) => s !== initial, initial })).resolves.toBe(
      'assigned',
    );
    late.close();
  });

  it('reads again when the order changes while it is being read', async () => {
    const { store, changes, call, waitingFor } = setup({ o1: 'processing' });
    const answer = call('o1', 5000);
    await waitingFor(1);
    changes.emit('o1'); // read #2 starts
    store.state.set('o1', 'assigned');
    changes.emit('o1'); // during read #2, which may or may not see it: read #3 follows
    await expect(answer).resolves.toBe('assigned');
    while (store.readsOf('o1') < 3) await later(2);
    expect(store.readsOf('o1')).toBe(3);
  });

  it('takes a change made in this process with its committed record, without a read', async () => {
    const { store, longPoll, call, commitHere, waitingFor } = setup({ o1: 'processing' });
    const answer = call('o1', 5000);
    await waitingFor(1);
    commitHere('o1', 'assigned');
    await expect(answer).resolves.toBe('assigned');
    const next = longPoll.watch(orderId('o1'));
    await expect(next.record()).resolves.toBe('assigned');
    next.close();
    expect(store.readsOf('o1')).toBe(1);
  });

  it('never goes back to an older record: a read started before a change made here does not undo it', async () => {
    // Records are "version:state"; the newer version wins.
    const newer = (record: string, kept: string) => Number(record.split(':')[0]) > Number(kept.split(':')[0]);
    const { store, changes, longPoll, commitHere, waitingFor } = setup({ o1: '1:processing' }, { isNewer: newer });
    const poll = longPoll.watch(orderId('o1'));
    const initial = await poll.record();
    const seen: string[] = [];
    const view = async (s: string) => (seen.push(s), s);
    const answer = poll.until({ waitMs: 200, view, done: () => false, initial });
    await waitingFor(1);
    changes.emit('o1'); // heard from elsewhere: a read starts, and takes the state as it is now
    commitHere('o1', '2:assigned'); // committed here while that read is under way
    while (store.readsOf('o1') < 3) await later(2); // the stale read, then one after the change
    await expect(answer).resolves.toBe('2:assigned');
    expect(seen.slice(seen.indexOf('2:assigned'))).not.toContain('1:processing');
    poll.close();
  });

  it('wakes every watched order when notifications were lost (LISTEN back after a loss)', async () => {
    const { store, changes, call, waitingFor } = setup({ a: 'processing', b: 'processing' });
    const answers = Promise.all([call('a', 5000), call('b', 5000)]);
    await waitingFor(2);
    store.state.set('a', 'assigned'); // changed unheard
    store.state.set('b', 'error');
    changes.emitAll();
    await expect(answers).resolves.toEqual(['assigned', 'error']);
    expect([store.readsOf('a'), store.readsOf('b')]).toEqual([2, 2]);
  });

  it('reads at most maxReads orders at a time, those whose calls wait on a change first', async () => {
    const changes = new OrderSubscribers<string>();
    const started: string[] = [];
    const pending: (() => void)[] = [];
    const state = new Map([['a', 'processing']]);
    const read = (id: OrderId) =>
      new Promise<string>((resolve) => {
        started.push(id);
        pending.push(() => resolve(state.get(id) ?? 'none'));
      });
    const longPoll = new LongPoll<string>({ feed: changes, read, maxReads: 1 });
    const settleOne = async () => {
      while (pending.length === 0) await later(1);
      pending.shift()?.();
    };
    const a = longPoll.watch(orderId('a'));
    const first = a.record();
    await settleOne();
    const initial = await first;
    const answer = a.until({ waitMs: 5000, view: async (s) => s, done: (s) => s !== initial, initial });
    // New polls of other orders: the first one reads, the others queue.
    const others = ['b', 'c', 'd'].map((id) => {
      const p = longPoll.watch(orderId(id));
      return p.record().finally(() => p.close());
    });
    await later(5);
    state.set('a', 'assigned');
    changes.emit('a'); // queued ahead of c and d
    for (let i = 0; i < 4; i++) await settleOne();
    await expect(answer).resolves.toBe('assigned');
    await Promise.all(others);
    expect(started).toEqual(['a', 'b', 'a', 'c', 'd']);
    a.close();
  });

  it('keeps a watch after its last call for the next poll, then drops it and its subscription', async () => {
    const { store, changes, longPoll, call, change } = setup({ o1: 'processing' }, { lingerMs: 100 });
    await expect(call('o1', 20)).resolves.toBe('processing');
    await expect(call('o1', 20)).resolves.toBe('processing');
    expect(store.readsOf('o1')).toBe(1); // the second poll took the record kept
    change('o1', 'assigned'); // nobody waits: no read now, one at the next call
    expect(store.readsOf('o1')).toBe(1);
    expect(changes.watchedOrders).toBe(1);
    while (longPoll.watchedOrders > 0) await later(10);
    expect(changes.watchedOrders).toBe(0);
    const poll = longPoll.watch(orderId('o1'));
    await expect(poll.record()).resolves.toBe('assigned');
    poll.close();
    expect(store.readsOf('o1')).toBe(2);
  });

  it('reads a kept record again once it is older than maxRecordAgeMs', async () => {
    const { store, call } = setup({ o1: 'processing' }, { maxRecordAgeMs: 30 });
    await call('o1', 60);
    expect(store.readsOf('o1')).toBe(2); // the first snapshot, then at the deadline
  });

  it('answers every waiting call at once on shutdown, with the current state, and does not wait afterwards', async () => {
    const { longPoll, store, call, waitingFor } = setup({ a: 'before', b: 'before', c: 'before' });
    const answers = [call('a', 10_000), call('b', 10_000)];
    await waitingFor(2);
    store.state.set('a', 'now'); // unheard: the kept record is answered
    const started = Date.now();
    await longPoll.shutdown();
    await expect(Promise.all(answers)).resolves.toEqual(['before', 'before']);
    expect(Date.now() - started).toBeLessThan(500);
    await expect(call('c', 10_000)).resolves.toBe('before');
    expect(longPoll.waiting).toBe(0);
  });

  it('stops waiting when the client goes away, also before the wait began', async () => {
    const { longPoll } = setup({ o1: 'first' });
    const poll = longPoll.watch(orderId('o1'));
    const initial = await poll.record();
    const answer = poll.until({ waitMs: 10_000, view: async (s) => s, done: () => false, initial });
    expect(longPoll.waiting).toBe(1);
    poll.cancel();
    await expect(answer).resolves.toBe('first');
    expect(longPoll.waiting).toBe(0);
    poll.close();

    const gone = longPoll.watch(orderId('o1'));
    gone.cancel(); // e.g. while its first snapshot was being read
    const started = Date.now();
    await expect(gone.until({ waitMs: 10_000, view: async (s) => s, done: () => false, initial })).resolves.toBe('first');
    expect(Date.now() - started).toBeLessThan(100);
    gone.close();
  });
});
