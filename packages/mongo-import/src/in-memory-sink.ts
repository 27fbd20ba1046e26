import { isActive, type Assignment } from '@codedispatch/core';
import type { LegacyAssignmentSink, SinkConflict, SinkWriteResult } from './sink';

const codeKey = (a: Assignment): string => JSON.stringify([a.areaId, a.code]);
const driverKey = (a: Assignment): string | null =>
  a.driver === null ? null : JSON.stringify([a.driver.parkDbId, a.driver.driverId]);

/**
 * The sink in memory, with the database's invariants (SPEC §3): one record per
 * order (a second one is skipped), one active code per (area, code) and one
 * processing record per driver (a clash is a conflict).
 */
export class InMemoryLegacyAssignmentSink implements LegacyAssignmentSink {
  readonly records = new Map<string, Assignment>();
  /** How many times `write` was called. */
  writes = 0;
  private readonly activeCodes = new Map<string, string>();
  private readonly processingDrivers = new Map<string, string>();

  constructor(existing: readonly Assignment[] = []) {
    for (const a of existing) this.insert(a);
  }

  existingOrderIds(ids: readonly string[]): Promise<Set<string>> {
    return Promise.resolve(new Set(ids.filter((id) => this.records.has(id))));
  }

  write(records: readonly Assignment[]): Promise<SinkWriteResult> {
    this.writes++;
    let inserted = 0;
    let skipped = 0;
    const conflicts: SinkConflict[] = [];
    for (const record of records) {
      if (this.records.has(record.orderId)) {
        skipped++;
        continue;
      }
      const clash = this.clashOf(record);
      if (clash !== null) {
        conflicts.push({ orderId: record.orderId, reason: clash });
        continue;
      }
      this.insert(record);
      inserted++;
    }
    return Promise.resolve({ inserted, skipped, conflicts });
  }

  private insert(record: Assignment): void {
    this.records.set(record.orderId, record);
    if (isActive(record)) this.activeCodes.set(codeKey(record), record.orderId);
    const driver = driverKey(record);
    if (record.status === 'processing' && driver !== null) this.processingDrivers.set(driver, record.orderId);
  }

  private clashOf(record: Assignment): string | null {
    const holder = isActive(record) ? this.activeCodes.get(codeKey(record)) : undefined;
    if (holder !== undefined) return `code ${record.code} is already active in area ${record.areaId} (order ${holder})`;
    const driver = driverKey(record);
    const busy = record.status === 'processing' && driver !== null ? this.processingDrivers.get(driver) : undefined;
    if (busy !== undefined) return `the driver already has order ${busy} in processing`;
    return null;
  }
}
