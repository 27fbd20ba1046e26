import type { ComponentChildren } from 'preact';
import type { Problem } from '../api';
import { formatRelative, formatUtc } from '../format';
import { sparklinePoints } from '../sparkline';

export interface ViewProps {
  readonly token: string;
  readonly onRefused: (problem: Problem) => void;
}

/** A UTC time with its age beside it; the full ISO timestamp on hover. */
export const Time = ({ at, now }: { at: string | null; now?: Date }) =>
  at === null ? (
    <span class="muted">—</span>
  ) : (
    <time dateTime={at} title={at}>
      {formatUtc(at)} <span class="muted">({formatRelative(at, now ?? new Date())})</span>
    </time>
  );

export const Failure = ({ text }: { text: string | null }) =>
  text === null ? null : (
    <p class="error" role="alert">
      {text}
    </p>
  );

// Hand-written on purpose: a polyline is a few lines, and a charting library would outweigh the whole console.
export const Sparkline = ({
  values,
  label,
  width = 120,
  height = 28,
}: {
  values: readonly number[];
  label: string;
  width?: number;
  height?: number;
}) => (
  <svg class="spark" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
    <title>{label}</title>
    <polyline
      points={sparklinePoints(values, width, height, 2)}
      fill="none"
      stroke="currentColor"
      stroke-width="1.5"
      stroke-linejoin="round"
    />
  </svg>
);

/** A view's title (its section is labelled by `id`), and what goes beside it. */
export const ViewHead = ({ id, title, children }: { id: string; title: string; children?: ComponentChildren }) => (
  <div class="view-head">
    <h2 id={id}>{title}</h2>
    {children}
  </div>
);

/** Asks the view's data again now, between polls. */
export const RefreshButton = ({ onClick }: { onClick: () => void }) => (
  <button type="button" class="quiet" onClick={onClick}>
    Refresh
  </button>
);
