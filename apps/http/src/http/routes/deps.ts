import type { Assignment, Clock, UseCases, ConfigSource } from '@codedispatch/core';
import type { ConfigStatus } from '../../config/service-config';
import type { EntryOutcomeTally } from '../../operations/entry-outcome-tally';
import type { OperationsReadModel, OutboxControl } from '../../operations/ports';
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
  /** The configuration in force: where from, its version, the last reload (GET /v1/ops/config). */
  readonly configStatus: () => ConfigStatus;
  /** The operations console's storage-backed parts; absent without a database (the /v1/ops reads answer 503). */
  readonly operations?: ConsoleDeps;
  /** Where the console page's build is (null: not installed); by default `@codedispatch/console`'s dist/. */
  readonly consoleDist?: () => string | null;
}

export interface ConsoleDeps {
  readonly readModel: OperationsReadModel;
  readonly outbox: OutboxControl;
  /** Refused code entries, counted by the assign endpoint. */
  readonly tally: Pick<EntryOutcomeTally, 'count'>;
  readonly clock: Clock;
}
