import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Problem } from './api';
import { formatHash, parseHash, type Route } from './route';
import { AreasView } from './views/areas';
import { ConfigView } from './views/config';
import { EventsView } from './views/events';
import { OrderView } from './views/order';
import { TokenForm } from './views/token-form';
import './style.css';

// The token lives in this tab only (sessionStorage), never in a cookie.
const TOKEN_KEY = 'codedispatch.operator-token';

const TABS: readonly { readonly view: Route['view']; readonly label: string; readonly testId: string }[] = [
  { view: 'areas', label: 'Areas', testId: 'nav-areas' },
  { view: 'order', label: 'Order', testId: 'nav-order' },
  { view: 'events', label: 'Events', testId: 'nav-events' },
  { view: 'config', label: 'Configuration', testId: 'nav-config' },
];

const refusalText = (problem: Problem): string =>
  problem.status === 403
    ? `Refused (403 ${problem.code ?? 'forbidden'}): this token is not an operator token.`
    : `Refused (${problem.status} ${problem.code ?? 'unauthorized'}): the token is missing or unknown.`;

const App = () => {
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem(TOKEN_KEY));
  const [refusal, setRefusal] = useState<string | null>(null);
  const [route, setRoute] = useState<Route>(() => parseHash(location.hash));

  useEffect(() => {
    const onHash = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const onRefused = useCallback((problem: Problem) => {
    sessionStorage.removeItem(TOKEN_KEY);
    setToken(null);
    setRefusal(refusalText(problem));
  }, []);

  const signIn = (entered: string) => {
    sessionStorage.setItem(TOKEN_KEY, entered);
    setRefusal(null);
    setToken(entered);
  };

  const signOut = () => {
    sessionStorage.removeItem(TOKEN_KEY);
    setRefusal(null);
    setToken(null);
  };

  return (
    <>
      <header class="top">
        <h1>codedispatch operations</h1>
        {token !== null && (
          <>
            <nav aria-label="Views">
              {TABS.map((tab) => (
                <a
                  key={tab.view}
                  href={formatHash(tab.view === 'order' ? { view: 'order', orderId: null } : { view: tab.view })}
                  data-testid={tab.testId}
                  aria-current={route.view === tab.view ? 'page' : undefined}
                >
                  {tab.label}
                </a>
              ))}
            </nav>
            <button type="button" class="quiet" onClick={signOut}>
              Forget token
            </button>
          </>
        )}
      </header>
      <main>
        {token === null ? (
          <TokenForm refusal={refusal} onToken={signIn} />
        ) : route.view === 'areas' ? (
          <AreasView token={token} onRefused={onRefused} />
        ) : route.view === 'order' ? (
          <OrderView token={token} onRefused={onRefused} orderId={route.orderId} />
        ) : route.view === 'events' ? (
          <EventsView token={token} onRefused={onRefused} />
        ) : (
          <ConfigView token={token} onRefused={onRefused} />
        )}
      </main>
    </>
  );
};

render(<App />, document.getElementById('app')!);
