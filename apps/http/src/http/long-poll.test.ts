import { LocalChanges } from '../changes/change-feed';
import { LongPoll } from './long-poll';

const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('long-poll', () => {
  it('answers as soon as a notification shows the awaited state', async () => {
    const changes = new LocalChanges();
    const poll = new LongPoll(changes);
    let state = 'processing';
    const waiter = poll.watch('o1');
    const started = Date.now();
    const answer = waiter.until({ waitMs: 5000, read: async () => state, done: (s) => s !== 'processing', initial: state });
    await later(20);
    changes.emit('o1'); // a notification that changes nothing: keep waiting
    await later(20);
    state = 'assigned';
    changes.emit('o1');
    await expect(answer).resolves.toBe('assigned');
    expect(Date.now() - started).toBeLessThan(1000);
    waiter.close();
    expect(changes.watchedOrders).toBe(0);
  });

  it('sees a change made between subscribing and waiting', async () => {
    const changes = new LocalChanges();
    const poll = new LongPoll(changes);
    let state = 'processing';
    const waiter = poll.watch('o1');
    state = 'error';
    changes.emit('o1');
    await expect(
      waiter.until({ waitMs: 5000, read: async () => state, done: (s) => s !== 'processing', initial: 'processing' }),
    ).resolves.toBe('error');
    waiter.close();
  });

  it('answers the state as it is at the deadline', async () => {
    const poll = new LongPoll(new LocalChanges());
    const waiter = poll.watch('o1');
    const started = Date.now();
    await expect(
      waiter.until({ waitMs: 100, read: async () => 'processing', done: () => false, initial: 'processing' }),
    ).resolves.toBe('processing');
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    waiter.close();
  });

  it('keeps the last state read when a read fails', async () => {
    const changes = new LocalChanges();
    const poll = new LongPoll(changes);
    const waiter = poll.watch('o1');
    const answer = waiter.until({ waitMs: 80, read: async () => undefined, done: () => false, initial: 'pending' });
    changes.emit('o1');
    await expect(answer).resolves.toBe('pending');
    waiter.close();
  });

  it('answers every waiter at once on shutdown, and does not wait afterwards', async () => {
    const poll = new LongPoll(new LocalChanges());
    const waiters = [poll.watch('a'), poll.watch('b')];
    const answers = waiters.map((w) =>
      w.until({ waitMs: 10_000, read: async () => 'now', done: () => false, initial: 'before' }),
    );
    await later(10);
    expect(poll.waiting).toBe(2);
    const started = Date.now();
    await poll.shutdown();
    await expect(Promise.all(answers)).resolves.toEqual(['now', 'now']);
    expect(Date.now() - started).toBeLessThan(500);
    const late = poll.watch('c');
    await expect(late.until({ waitMs: 10_000, read: async () => 'now', done: () => false, initial: 'before' })).resolves.toBe(
      'now',
    );
  });

  it('stops waiting when the client goes away', async () => {
    const poll = new LongPoll(new LocalChanges());
    const controller = new AbortController();
    const answer = poll
      .watch('o')
      .until({ waitMs: 10_000, read: async () => 'x', done: () => false, initial: 'first', signal: controller.signal });
    controller.abort();
    await expect(answer).resolves.toBe('first');
    expect(poll.waiting).toBe(0);
  });
});
