import type { Assignment, UseCases, ConfigSource } from '@codedispatch/core';
import type { Logger } from '../../observability/logger';
import type { Metrics } from '../../observability/metrics';
import type { Authenticator } from '../auth';
import type { LongPoll } from '../long-poll';

/** What the HTTP layer needs; built by the container, or by hand in tests. */
export interface AppDeps {
  readonly config: ConfigSource;
  readonly dispatch: UseCases;
  readonly authenticator: Authenticator;
  /** Long-polls share one read of an order's record (null: no such order). */
  readonly longPoll: LongPoll<Assignment | null>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Whether the database answers (GET /ready). */
  readonly readiness: () => Promise<boolean>;
}
