// The hash router: #/areas, #/order/<order_id>, #/events, #/config (the console's deep links).

export type Route =
  | { readonly view: 'areas' }
  | { readonly view: 'order'; readonly orderId: string | null }
  | { readonly view: 'events' }
  | { readonly view: 'config' };

/** Reads a location hash; anything unknown opens the areas. */
export const parseHash = (hash: string): Route => {
  const path = hash.replace(/^#\/?/, '');
  const [head = '', ...rest] = path.split('/');
  switch (head) {
    case 'order': {
      const raw = rest.join('/');
      let orderId: string;
      try {
        orderId = decodeURIComponent(raw);
      } catch {
        orderId = raw;
      }
      return { view: 'order', orderId: orderId === '' ? null : orderId };
    }
    case 'events':
      return { view: 'events' };
    case 'config':
      return { view: 'config' };
    default:
      return { view: 'areas' };
  }
};

/** The hash of a route; an order id is percent-encoded, so ids with slashes or spaces survive the round trip. */
export const formatHash = (route: Route): string => {
  switch (route.view) {
    case 'order':
      return route.orderId === null ? '#/order' : `#/order/${encodeURIComponent(route.orderId)}`;
    case 'areas':
    case 'events':
    case 'config':
      return `#/${route.view}`;
    default: {
      const unknown: never = route;
      return unknown;
    }
  }
};
