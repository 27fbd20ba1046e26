import type { ConfigResponse } from '../api';
import { useOps } from '../use-ops';
import { Failure, RefreshButton, Time, ViewHead, type ViewProps } from './common';

export const ConfigView = ({ token, onRefused }: ViewProps) => {
  const { value, failure, reload } = useOps<ConfigResponse>(token, '/config', onRefused);
  const last = value?.last_reload ?? null;
  return (
    <section aria-labelledby="config-title">
      <ViewHead id="config-title" title="Configuration">
        <RefreshButton onClick={reload} />
      </ViewHead>
      <Failure text={failure} />
      {value !== null && (
        <div class="panel">
          <dl class="fields">
            <dt>Version</dt>
            <dd>
              <code data-testid="config-version">{value.version}</code>
            </dd>
            <dt>Origin</dt>
            <dd data-testid="config-origin">
              {value.origin.kind === 'file' ? (
                <>
                  file <code>{value.origin.path}</code>
                </>
              ) : (
                'demo configuration'
              )}
            </dd>
            <dt>Loaded at</dt>
            <dd>
              <Time at={value.loaded_at} />
            </dd>
            <dt>Last reload</dt>
            <dd data-testid="config-last-reload">
              {last === null ? (
                <span class="muted">none tried since start</span>
              ) : (
                <>
                  <span class={`badge ${last.outcome === 'applied' ? 'ok' : 'alert'}`}>{last.outcome}</span> on {last.trigger},{' '}
                  <Time at={last.at} />
                  {last.issues.length > 0 && (
                    <ul class="issues">
                      {last.issues.map((issue, i) => (
                        <li key={i}>
                          <code>{issue.path === '' ? '(document)' : issue.path}</code>: {issue.message}
                        </li>
                      ))}
                    </ul>
                  )}
                </>
              )}
            </dd>
            {value.applies_at_restart.length > 0 && (
              <>
                <dt>Applies at restart</dt>
                <dd>
                  <ul class="issues">
                    {value.applies_at_restart.map((path) => (
                      <li key={path}>
                        <code>{path}</code>
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
          </dl>
        </div>
      )}
    </section>
  );
};
