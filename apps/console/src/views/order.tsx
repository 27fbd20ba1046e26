import { useState } from 'preact/hooks';
import { callOps, describeFailure, type Actor, type OrderResponse, type OrdersResponse, type OutboxEvent } from '../api';
import { formatHash } from '../route';
import { useOps } from '../use-ops';
import { Failure, Time, ViewHead, type ViewProps } from './common';

const actorText = (actor: Actor): string => {
  switch (actor.kind) {
    case 'service':
      return actor.name;
    case 'driver':
      return `driver ${actor.park_db_id}:${actor.driver_id}`;
    case 'system':
      return 'system';
    default: {
      const unknown: never = actor;
      return unknown;
    }
  }
};

const eventState = (event: OutboxEvent): { readonly label: string; readonly level: string } =>
  event.dead_at !== null
    ? { label: 'dead', level: 'alert' }
    : event.delivered_at !== null
      ? { label: 'delivered', level: 'ok' }
      : { label: 'pending', level: 'warn' };

const go = (orderId: string) => {
  location.hash = formatHash({ view: 'order', orderId });
};

const SearchForms = ({ token, onRefused }: ViewProps) => {
  const [orderId, setOrderId] = useState('');
  const [areaId, setAreaId] = useState('');
  const [code, setCode] = useState('');
  const [found, setFound] = useState<OrdersResponse | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const findByCode = async () => {
    setFailure(null);
    const query = new URLSearchParams({ area_id: areaId.trim(), code: code.trim() });
    const answer = await callOps<OrdersResponse>(token, `/orders?${query.toString()}`);
    if (answer.ok) setFound(answer.value);
    else if (answer.kind === 'refused') onRefused(answer.problem);
    else setFailure(describeFailure(answer));
  };

  return (
    <div class="searches">
      <form
        class="panel"
        onSubmit={(event) => {
          event.preventDefault();
          if (orderId.trim() !== '') go(orderId.trim());
        }}
      >
        <h3>By order id</h3>
        <label for="order-search-id">Order id</label>
        <div class="row">
          <input
            id="order-search-id"
            data-testid="order-search-id"
            required
            value={orderId}
            onInput={(e) => setOrderId(e.currentTarget.value)}
          />
          <button type="submit" data-testid="order-search-submit">
            Open
          </button>
        </div>
      </form>
      <form
        class="panel"
        onSubmit={(event) => {
          event.preventDefault();
          void findByCode();
        }}
      >
        <h3>By area and code (active orders)</h3>
        <div class="row">
          <span>
            <label for="order-search-area">Area</label>
            <input
              id="order-search-area"
              data-testid="order-search-area"
              required
              value={areaId}
              onInput={(e) => setAreaId(e.currentTarget.value)}
            />
          </span>
          <span>
            <label for="order-search-code">Code</label>
            <input
              id="order-search-code"
              data-testid="order-search-code"
              required
              placeholder="482 918"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
            />
          </span>
          <button type="submit" data-testid="order-search-code-submit">
            Find
          </button>
        </div>
        <Failure text={failure} />
        {found !== null &&
          (found.orders.length === 0 ? (
            <p class="muted">No active order of that area has that code.</p>
          ) : (
            <ul class="found">
              {found.orders.map((order) => (
                <li key={order.order_id}>
                  <a href={formatHash({ view: 'order', orderId: order.order_id })}>{order.order_id}</a>{' '}
                  <code>{order.code_display}</code> <span class={`status status-${order.status}`}>{order.status}</span>
                  {order.error_code !== null && <code> {order.error_code}</code>} <Time at={order.updated_at} />
                </li>
              ))}
            </ul>
          ))}
      </form>
    </div>
  );
};

const OrderStory = ({ token, onRefused, orderId }: ViewProps & { orderId: string }) => {
  const { value, failure } = useOps<OrderResponse>(token, `/orders/${encodeURIComponent(orderId)}`, onRefused);
  if (failure !== null) return <Failure text={failure} />;
  if (value === null) return <p class="muted">loading…</p>;
  const a = value.assignment;
  return (
    <div class="story">
      <div class="panel">
        <h3>
          Order <code>{a.order_id}</code>{' '}
          <span class={`status status-${a.status}`} data-testid="order-status">
            {a.status}
          </span>
          {a.error_code !== null && <code class="error-text"> {a.error_code}</code>}
        </h3>
        <dl class="fields">
          <dt>Area</dt>
          <dd>{a.area_id}</dd>
          <dt>Code</dt>
          <dd>
            <code>{a.code_display}</code>
          </dd>
          <dt>Driver</dt>
          <dd>
            {a.park_db_id !== null && a.driver_id !== null ? `${a.park_db_id}:${a.driver_id}` : <span class="muted">none</span>}
          </dd>
          <dt>Code entries</dt>
          <dd>{a.attempt}</dd>
          <dt>Created</dt>
          <dd>
            <Time at={a.created_at} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <Time at={a.updated_at} />
          </dd>
          <dt>Expires</dt>
          <dd>
            <Time at={a.expires_at} />
          </dd>
          {a.legacy && (
            <>
              <dt>Legacy</dt>
              <dd>imported from MongoDB</dd>
            </>
          )}
        </dl>
      </div>
      <div class="panel">
        <h3>Change log</h3>
        <ol class="timeline" data-testid="timeline">
          {a.changes.map((change, i) => (
            <li key={i} data-testid="timeline-entry" class={`to-${change.to}`}>
              <div class="when">
                <Time at={change.at} />
              </div>
              <div class="what">
                {change.from === null ? (
                  <span class="muted">created</span>
                ) : (
                  <span class={`status status-${change.from}`}>{change.from}</span>
                )}{' '}
                → <span class={`status status-${change.to}`}>{change.to}</span>
                {change.error_code !== undefined && <code class="error-text"> {change.error_code}</code>}
              </div>
              <div class="who">
                by {actorText(change.actor)}
                {change.reason !== undefined && <span class="muted"> · {change.reason}</span>}
              </div>
            </li>
          ))}
        </ol>
      </div>
      <div class="panel" data-testid="order-events">
        <h3>Outbox events</h3>
        {value.events.length === 0 ? (
          <p class="muted">None (delivered events may have been pruned).</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Type</th>
                <th scope="col">Created</th>
                <th scope="col">Attempts</th>
                <th scope="col">Delivered / dead / next attempt</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {value.events.map((event) => {
                const state = eventState(event);
                return (
                  <tr key={event.event_id} title={event.event_id}>
                    <td>
                      <span class={`badge ${state.level}`}>{state.label}</span>
                    </td>
                    <td>
                      <code>{event.type}</code>
                    </td>
                    <td>
                      <Time at={event.created_at} />
                    </td>
                    <td>{event.attempts}</td>
                    <td>
                      <Time at={event.dead_at ?? event.delivered_at ?? event.next_attempt_at} />
                    </td>
                    <td class="error-text">{event.last_error ?? '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
};

export const OrderView = ({ token, onRefused, orderId }: ViewProps & { orderId: string | null }) => (
  <section aria-labelledby="order-title">
    <ViewHead id="order-title" title="Order" />
    <SearchForms token={token} onRefused={onRefused} />
    {orderId !== null && <OrderStory key={orderId} token={token} onRefused={onRefused} orderId={orderId} />}
  </section>
);
