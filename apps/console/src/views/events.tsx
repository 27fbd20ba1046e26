import { useState } from 'preact/hooks';
import { callOps, describeFailure, type EventsResponse, type RedriveResponse } from '../api';
import { formatAge } from '../format';
import { formatHash } from '../route';
import { useOps } from '../use-ops';
import { Failure, RefreshButton, Time, ViewHead, type ViewProps } from './common';

export const EventsView = ({ token, onRefused }: ViewProps) => {
  const { value, failure, reload } = useOps<EventsResponse>(token, '/events', onRefused);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<string | null>(null);

  const redrive = async (path: string) => {
    setBusy(true);
    const answer = await callOps<RedriveResponse>(token, path, { method: 'POST' });
    setBusy(false);
    if (answer.ok) setOutcome(`${answer.value.redriven} event${answer.value.redriven === 1 ? '' : 's'} put back in the queue.`);
    else if (answer.kind === 'refused') return onRefused(answer.problem);
    else setOutcome(`Redrive failed: ${describeFailure(answer)}`);
    reload();
  };

  return (
    <section aria-labelledby="events-title">
      <ViewHead id="events-title" title="Events">
        <RefreshButton onClick={reload} />
      </ViewHead>
      <Failure text={failure} />
      {value !== null && (
        <>
          <dl class="stats wide panel">
            <div class="stat">
              <dt>Waiting for delivery</dt>
              <dd data-testid="events-depth">{value.depth}</dd>
            </div>
            <div class="stat">
              <dt>Oldest waiting</dt>
              <dd>{value.depth === 0 ? '—' : formatAge(value.oldest_age_s)}</dd>
            </div>
            <div class={`stat${value.dead > 0 ? ' level-alert' : ''}`}>
              <dt>Dead letters</dt>
              <dd data-testid="events-dead-count">{value.dead}</dd>
            </div>
          </dl>
          <div class="view-head">
            <h3>Dead letters</h3>
            <button
              type="button"
              data-testid="redrive-all"
              disabled={busy || value.dead === 0}
              onClick={() => void redrive('/events/redrive')}
            >
              Redrive all
            </button>
          </div>
          {outcome !== null && (
            <p class="note" role="status">
              {outcome}
            </p>
          )}
          {value.dead_letters.length === 0 ? (
            <p class="muted">No dead letters.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Dead since</th>
                  <th scope="col">Order</th>
                  <th scope="col">Type</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last error</th>
                  <th scope="col">
                    <span class="sr-only">Action</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {value.dead_letters.map((letter) => (
                  <tr key={letter.event_id} data-testid={`dead-letter-${letter.event_id}`}>
                    <td>
                      <Time at={letter.dead_at} />
                    </td>
                    <td>
                      <a href={formatHash({ view: 'order', orderId: letter.order_id })}>{letter.order_id}</a>
                    </td>
                    <td>
                      <code>{letter.type}</code>
                    </td>
                    <td>{letter.attempts}</td>
                    <td class="error-text">{letter.last_error ?? '—'}</td>
                    <td>
                      <button
                        type="button"
                        data-testid={`redrive-${letter.event_id}`}
                        disabled={busy}
                        aria-label={`Redrive event ${letter.event_id}`}
                        onClick={() => void redrive(`/events/${encodeURIComponent(letter.event_id)}/redrive`)}
                      >
                        Redrive
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
};
