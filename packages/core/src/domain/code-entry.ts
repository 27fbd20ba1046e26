import type { Assignment } from './assignment';
import { sameDriver, type Driver } from './ids';

/**
 * What a driver's entry of a well-formed code comes to, from what the
 * storage holds at that moment (SPEC §6, assign). The one-statement path of
 * an adapter decides by these rules (PostgreSQL in SQL, the in-memory
 * adapter with this function); the contract suite holds them to it.
 *
 * - `enter`: the code's record is pending or in a retryable error, not
 *   expired, and the driver has no other record in processing: it moves to
 *   processing with him.
 * - `repeated`: the code's record is in processing with him, or (no active
 *   record) he was assigned it recently: he gets it as it is.
 * - `in_use`: another driver has it in processing.
 * - `not_found`: no record holds the code, and it is no repeat.
 * - `undecided`: something is due first — the record's expiry or processing
 *   timeout, or the driver's other record in processing, which may itself
 *   have timed out: the slower path settles those and decides.
 */
export type EntryVerdict = 'enter' | 'repeated' | 'in_use' | 'not_found' | 'undecided';

export interface EntryState {
  /** The record whose code is active in the area, if any. */
  readonly active: Assignment | null;
  /** The driver's own assigned record of this code released after the repeat cutoff, if any. */
  readonly assignedToDriver: Assignment | null;
  /** Whether the driver has a record in processing other than `active`. */
  readonly driverBusyElsewhere: boolean;
}

export const entryVerdict = (
  state: EntryState,
  entry: { readonly driver: Driver; readonly at: Date; readonly processingTimedOutAt: Date },
): EntryVerdict => {
  const a = state.active;
  if (a === null) return state.assignedToDriver !== null ? 'repeated' : 'not_found';
  if (a.status === 'processing') {
    if (a.updatedAt <= entry.processingTimedOutAt) return 'undecided';
    return sameDriver(a.driver, entry.driver) ? 'repeated' : 'in_use';
  }
  if (entry.at >= a.expiresAt || state.driverBusyElsewhere) return 'undecided';
  return 'enter';
};
