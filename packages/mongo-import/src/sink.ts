import type { Assignment } from '@codedispatch/core';

/** A record the store refused, e.g. its active code is already active for another order of the area. */
export interface SinkConflict {
  readonly orderId: string;
  readonly reason: string;
}

export interface SinkWriteResult {
  /** Records written. */
  readonly inserted: number;
  /** Records whose order_id was already present. */
  readonly skipped: number;
  readonly conflicts: readonly SinkConflict[];
}

/**
 * Where the import writes (the port; `postgres-sink.ts` is the PostgreSQL
 * adapter, `InMemoryLegacyAssignmentSink` the one for tests). `write` must
 * account for every record: inserted + skipped + conflicts = records.
 */
export interface LegacyAssignmentSink {
  /** Which of these order ids already have a record (what a dry run counts as skipped). */
  existingOrderIds(ids: readonly string[]): Promise<Set<string>>;
  write(records: readonly Assignment[]): Promise<SinkWriteResult>;
}

/** A sink with its store opened, as the command gets it. */
export interface OpenedSink {
  readonly sink: LegacyAssignmentSink;
  /** Where it writes, for the summary (no secrets). */
  readonly target: string;
  close(): Promise<void>;
}

export interface OpenSinkOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A dry run changes nothing: no migration; a store without the table holds no order. */
  readonly dryRun: boolean;
}

export type OpenSink = (options: OpenSinkOptions) => Promise<OpenedSink>;
