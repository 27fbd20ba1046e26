import type { AreasResponse, AreaView } from '../api';
import { areaLevel, formatMs, formatPercent, formatUtc } from '../format';
import { useOps } from '../use-ops';
import { Failure, Sparkline, ViewHead, type ViewProps } from './common';

const POLL_MS = 5000;

const Stat = ({ label, value, unit, testId }: { label: string; value: string | number; unit?: string; testId?: string }) => (
  <div class="stat">
    <dt>{label}</dt>
    <dd>
      <span data-testid={testId}>{value}</span>
      {unit !== undefined && <span class="unit"> {unit}</span>}
    </dd>
  </div>
);

type Bucket = AreaView['series'][number];
const SERIES: readonly (readonly [key: string, label: string, pick: (b: Bucket) => number])[] = [
  ['entries', 'Entries', (b) => b.entries],
  ['assignments', 'Assignments', (b) => b.assignments],
  ['errors', 'Errors', (b) => b.errors],
  ['refusals', 'Refusals', (b) => b.attempt_limit_refusals],
];

const AreaCard = ({ area, bucketS }: { area: AreaView; bucketS: number }) => {
  const { level, reasons } = areaLevel(area);
  const recent = area.last_15_min;
  const errors = Object.entries(recent.errors).sort(([, a], [, b]) => b - a);
  const minutes = Math.round((area.series.length * bucketS) / 60);
  const sum = (pick: (b: Bucket) => number) => area.series.reduce((n, b) => n + pick(b), 0);
  return (
    <article class={`card level-${level}`} data-testid={`area-card-${area.area_id}`} aria-labelledby={`area-${area.area_id}`}>
      <header>
        <h3 id={`area-${area.area_id}`}>{area.area_id}</h3>
        {!area.enabled && <span class="badge disabled">disabled</span>}
        {level !== 'ok' && <span class={`badge ${level}`}>{level === 'alert' ? 'attention' : 'watch'}</span>}
      </header>
      {reasons.length > 0 && <p class={`reasons ${level}`}>{reasons.join(' · ')}</p>}
      <dl class="stats">
        <Stat label="Code space used" value={formatPercent(area.code_space.use)} />
        <Stat label="Codes taken" value={`${area.code_space.taken} / ${area.code_space.size}`} />
        <Stat label="Pending now" value={area.now.pending} testId={`area-pending-${area.area_id}`} />
        <Stat label="Processing now" value={area.now.processing} testId={`area-processing-${area.area_id}`} />
        <Stat label="Entries" value={recent.entries_per_min.toFixed(1)} unit="/min" testId={`area-entries-${area.area_id}`} />
        <Stat
          label="Assignments"
          value={recent.assignments_per_min.toFixed(1)}
          unit="/min"
          testId={`area-assignments-${area.area_id}`}
        />
        <Stat label="Entry → assigned p50" value={formatMs(recent.entry_to_assigned_ms.p50)} />
        <Stat label="Entry → assigned p99" value={formatMs(recent.entry_to_assigned_ms.p99)} />
        <Stat label="Attempt-limit refusals" value={recent.attempt_limit_refusals} />
      </dl>
      <div class="errors">
        <h4>Errors, last 15 min</h4>
        {errors.length === 0 ? (
          <p class="muted">none</p>
        ) : (
          <ul>
            {errors.map(([code, count]) => (
              <li key={code}>
                <code>{code}</code> <strong>{count}</strong>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div class="sparks">
        <h4>Last {minutes} min, per minute</h4>
        {SERIES.map(([key, label, pick]) => (
          <div class={`spark-row spark-${key}`} key={key}>
            <span class="spark-label">{label}</span>
            <Sparkline values={area.series.map(pick)} label={`${label} per minute, last ${minutes} min`} />
            <span class="spark-total">{sum(pick)}</span>
          </div>
        ))}
      </div>
    </article>
  );
};

export const AreasView = ({ token, onRefused }: ViewProps) => {
  const { value, failure } = useOps<AreasResponse>(token, '/areas', onRefused, POLL_MS);
  return (
    <section aria-labelledby="areas-title">
      <ViewHead id="areas-title" title="Areas">
        <span class="muted">{value === null ? 'loading…' : `as of ${formatUtc(value.generated_at)} · refreshes every 5 s`}</span>
      </ViewHead>
      <Failure text={failure} />
      {value !== null && value.areas.length === 0 && <p class="muted">No area is configured.</p>}
      <div class="cards">
        {value?.areas.map((area) => (
          <AreaCard key={area.area_id} area={area} bucketS={value.bucket_s} />
        ))}
      </div>
    </section>
  );
};
