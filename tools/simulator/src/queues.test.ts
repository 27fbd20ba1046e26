import { TaxiQueue } from './queues';

describe('the taxi queue', () => {
  it('pairs the driver at the front with the passenger at the front', async () => {
    const q = new TaxiQueue<string>();
    const first = q.nextPassenger('d1');
    const second = q.nextPassenger('d2');
    q.addPassenger('p1');
    q.addPassenger('p2');
    q.addPassenger('p3');
    await expect(first).resolves.toBe('p1');
    await expect(second).resolves.toBe('p2');
    expect(q.waiting).toBe(1);
    expect(q.queued).toBe(0);
  });

  it('puts a returning driver or passenger at the front', async () => {
    const q = new TaxiQueue<string>();
    q.addPassenger('p1');
    q.addPassenger('p2', true);
    await expect(q.nextPassenger('d1')).resolves.toBe('p2');
    expect(q.removePassenger('p1')).toBe(true);
    expect(q.removePassenger('p1')).toBe(false);
    const later = q.nextPassenger('d2');
    const sooner = q.nextPassenger('d3', true);
    q.addPassenger('p3');
    await expect(sooner).resolves.toBe('p3');
    q.close();
    await expect(later).resolves.toBeNull();
    await expect(q.nextPassenger('d4')).resolves.toBeNull();
  });
});
