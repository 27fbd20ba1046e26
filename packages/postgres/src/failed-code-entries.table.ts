import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { FailedAttempt } from '@codedispatch/core';

/** `code_dispatch.failed_code_entries`: a driver's failed code entries, for the attempt limit (SPEC §6, brute force). */
export interface FailedCodeEntriesTable {
  /** bigserial: node-postgres returns int8 as a string. */
  id: ColumnType<string, never, never>;
  area_id: string;
  park_db_id: string;
  driver_id: string;
  error_code: FailedAttempt['errorCode'];
  at: Date;
}

export type FailedCodeEntryRow = Selectable<FailedCodeEntriesTable>;
export type NewFailedCodeEntryRow = Insertable<FailedCodeEntriesTable>;

export const failedAttemptToRow = (attempt: FailedAttempt): NewFailedCodeEntryRow => ({
  area_id: attempt.areaId,
  park_db_id: attempt.driver.parkDbId,
  driver_id: attempt.driver.driverId,
  error_code: attempt.errorCode,
  at: attempt.at,
});
