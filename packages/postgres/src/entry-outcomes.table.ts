import type { ColumnType } from 'kysely';

/**
 * `code_dispatch.entry_outcomes`: refused code entries counted by area,
 * minute (truncated to the minute) and problem code; instances add to the
 * same row.
 */
export interface EntryOutcomesTable {
  area_id: string;
  minute: ColumnType<Date, Date, Date>;
  code: string;
  count: number;
}
