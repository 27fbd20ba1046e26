/**
 * `code_dispatch.driver_attempts`: the attempt limit (SPEC §6, brute force),
 * one row per driver and area, holding the times of the driver's failed and
 * undecided code entries there. Entries are reserved and released by locking
 * and updating this one row, so they serialise per driver and area.
 */
export interface DriverAttemptsTable {
  area_id: string;
  park_db_id: string;
  driver_id: string;
  /** Not kept sorted; entries left of the window are dropped by the next reservation. */
  failures: Date[];
}
