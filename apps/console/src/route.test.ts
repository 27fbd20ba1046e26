import { formatHash, parseHash, type Route } from './route';

describe('the hash router', () => {
  it.each<[string, Route]>([
    ['', { view: 'areas' }],
    ['#/areas', { view: 'areas' }],
    ['#/events', { view: 'events' }],
    ['#/config', { view: 'config' }],
    ['#/order', { view: 'order', orderId: null }],
    ['#/order/o-1042', { view: 'order', orderId: 'o-1042' }],
    ['#/order/a%2Fb%20c', { view: 'order', orderId: 'a/b c' }],
    ['#/nowhere', { view: 'areas' }],
  ])('reads %p', (hash, route) => {
    expect(parseHash(hash)).toEqual(route);
  });

  it('keeps a malformed escape as typed rather than failing', () => {
    expect(parseHash('#/order/100%')).toEqual({ view: 'order', orderId: '100%' });
  });

  it('writes deep links that read back to the same route', () => {
    const routes: Route[] = [
      { view: 'areas' },
      { view: 'events' },
      { view: 'config' },
      { view: 'order', orderId: null },
      { view: 'order', orderId: 'x/y z#1' },
    ];
    for (const route of routes) expect(parseHash(formatHash(route))).toEqual(route);
    expect(formatHash({ view: 'order', orderId: 'o-1042' })).toBe('#/order/o-1042');
  });
});
