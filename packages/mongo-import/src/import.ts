import * as E from 'fp-ts/Either';
import { areaSettingsOf, type Assignment, type DispatchConfig } from '@codedispatch/core';
import { readDump, type DumpElement } from './dump-reader';
import { DumpFormatError } from './json-array-splitter';
import { parseDocument, type PlainDocument } from './ejson';
import { readLegacyAssignment, readLegacyCode, sameLegacyCode, toAssignment, type LegacyCode, type Rejection } from './mapping';
import type { LegacyAssignmentSink } from './sink';

/*
 * The MongoDB import (SPEC §9): the codes dump is read into memory by
 * order_id, the assignments dump is streamed and merged into it, then the
 * codes without an assignment follow. Records go to the sink in batches,
 * orders already present are skipped. Every document read ends up counted
 * exactly once:
 *
 *   read = imported + skipped + merged + duplicates + rejected
 *
 * (a merged record stands for two documents, hence `merged` on the right).
 */

/** One line of the reject file. */
export interface RejectEntry {
  /** The dump file, as given. */
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  readonly order_id?: string;
  /** The document's text (cut at `MAX_RAW_CHARS`), when the reason was found while reading it. */
  readonly raw?: string;
}

/**
 * The report, in the names of SPEC §9 (+ `duplicates`, the identical code
 * documents ignored, and `records_by_unknown_area`, the areas behind
 * `unknown_areas`).
 */
export interface ImportReport {
  readonly dry_run: boolean;
  /** Documents in both files, unparsable lines included. */
  readonly read: number;
  /** Records written (in a dry run: that would be written). */
  readonly imported: number;
  /** Records (imported or skipped) built from a code document and an assignment document. */
  readonly merged: number;
  /** Records whose order_id is already present. */
  readonly skipped: number;
  /** Rejected documents and lines, each in the reject file. */
  readonly rejected: number;
  /** Areas not in the configuration that records (imported or skipped) are in. */
  readonly unknown_areas: number;
  /** Second code documents identical to the first of their order: read and ignored. */
  readonly duplicates: number;
  /** Each of the `unknown_areas` → the records (imported or skipped) in it, by area id. */
  readonly records_by_unknown_area: Readonly<Record<string, number>>;
}

export interface ImportProgress {
  readonly phase: 'codes' | 'assignments' | 'codes without assignment';
  /** Bytes read of both files so far. */
  readonly bytesRead: number;
  readonly documents: number;
}

export interface ImportOptions {
  /** `code_dispatch_codes` dump. */
  readonly codes: string;
  /** `code_dispatch_assignments` dump; without it every code document stands alone. */
  readonly assignments?: string | null;
  readonly sink: LegacyAssignmentSink;
  /** For the areas' `order_expire_s` and `unknown_areas`. */
  readonly config: DispatchConfig;
  /** Decides whether a code without assignment has expired. */
  readonly now: Date;
  /** Everything but the writes. Active-code conflicts are found by the store, so only when writing. */
  readonly dryRun?: boolean;
  readonly batchSize?: number;
  readonly onReject?: (entry: RejectEntry) => void | Promise<void>;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export const DEFAULT_BATCH_SIZE = 1000;
export const MAX_RAW_CHARS = 4096;
const PROGRESS_EVERY = 1000;

/** What is known of an order while the dumps are read. */
type OrderEntry =
  | { readonly kind: 'code'; readonly line: number; readonly code: LegacyCode }
  | { readonly kind: 'merged'; readonly assignmentLine: number }
  | { readonly kind: 'rejected'; readonly assignmentLine: number };

interface Pending {
  readonly record: Assignment;
  readonly codeLine: number;
  readonly assignmentLine: number | null;
}

const cut = (text: string): string => (text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS)}…` : text);

class MongoImport {
  private read = 0;
  private imported = 0;
  private merged = 0;
  private skipped = 0;
  private rejected = 0;
  private duplicates = 0;
  private readonly unknownAreas = new Map<string, number>();

  private readonly orders = new Map<string, OrderEntry>();
  /** Orders whose (only) code document was rejected → its line. */
  private readonly rejectedCodes = new Map<string, number>();
  /** One string per area id, however many documents name it. */
  private readonly areaIds = new Map<string, string>();
  private batch: Pending[] = [];
  /** The batch being written. */
  private writing: Promise<void> = Promise.resolve();
  private bytesBefore = 0;
  private bytesOfFile = 0;

  constructor(private readonly options: ImportOptions) {}

  async run(): Promise<ImportReport> {
    try {
      await this.readCodes();
      if (this.options.assignments != null) await this.readAssignments(this.options.assignments);
      await this.addCodesWithoutAssignment();
      await this.flush();
      await this.writing;
    } catch (e) {
      // Never leave a write running behind a failure: the caller closes the store next.
      await this.writing.catch(() => undefined);
      throw e;
    }
    return {
      dry_run: this.options.dryRun === true,
      read: this.read,
      imported: this.imported,
      merged: this.merged,
      skipped: this.skipped,
      rejected: this.rejected,
      unknown_areas: this.unknownAreas.size,
      duplicates: this.duplicates,
      records_by_unknown_area: Object.fromEntries([...this.unknownAreas].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    };
  }

  // ------------------------------------------------------------------ reading

  private async readCodes(): Promise<void> {
    const file = this.options.codes;
    for await (const doc of this.documents(file, 'codes')) {
      const code = readLegacyCode(doc.value);
      if (E.isLeft(code)) {
        await this.rejectDocument(file, doc.element, code.left);
        if (code.left.orderId !== undefined && !this.orders.has(code.left.orderId))
          this.rejectedCodes.set(code.left.orderId, doc.element.line);
        continue;
      }
      const first = this.orders.get(code.right.orderId);
      if (first === undefined) {
        this.orders.set(code.right.orderId, { kind: 'code', line: doc.element.line, code: this.interned(code.right) });
        this.rejectedCodes.delete(code.right.orderId);
      } else if (first.kind === 'code' && sameLegacyCode(first.code, code.right)) {
        this.duplicates++;
      } else {
        const sameCode = first.kind === 'code' && first.code.code === code.right.code;
        const what = sameCode ? 'the same code but another zone_id, created or expire' : 'another code';
        const reason = `second code document for the order with ${what}${first.kind === 'code' ? ` (the first, line ${first.line}, is kept)` : ''}`;
        await this.rejectDocument(file, doc.element, { reason, orderId: code.right.orderId });
      }
    }
  }

  private async readAssignments(file: string): Promise<void> {
    const codesFile = this.options.codes;
    for await (const doc of this.documents(file, 'assignments')) {
      const line = doc.element.line;
      const assignment = readLegacyAssignment(doc.value);
      const orderId = E.isLeft(assignment) ? assignment.left.orderId : assignment.right.orderId;
      const entry = orderId === undefined ? undefined : this.orders.get(orderId);

      if (orderId === undefined || entry === undefined) {
        const codeLine = orderId === undefined ? undefined : this.rejectedCodes.get(orderId);
        const reason =
          orderId === undefined && E.isLeft(assignment)
            ? assignment.left.reason
            : codeLine !== undefined
              ? `the order's code document was rejected (${codesFile} line ${codeLine})`
              : 'assignment without a code document';
        await this.rejectDocument(file, doc.element, { reason, ...(orderId !== undefined ? { orderId } : {}) });
        continue;
      }
      if (entry.kind !== 'code') {
        const reason =
          entry.kind === 'merged'
            ? `second assignment document for the order (the first, line ${entry.assignmentLine}, is kept)`
            : `second assignment document for an order already rejected (line ${entry.assignmentLine})`;
        await this.rejectDocument(file, doc.element, { reason, orderId: orderId });
        continue;
      }

      const record = E.isLeft(assignment) ? assignment : this.build(entry.code, assignment.right);
      if (E.isLeft(record)) {
        // Neither document is imported.
        this.orders.set(orderId, { kind: 'rejected', assignmentLine: line });
        await this.rejectDocument(file, doc.element, record.left);
        await this.reject({
          file: codesFile,
          line: entry.line,
          reason: `rejected with its assignment document (${file} line ${line}): ${record.left.reason}`,
          order_id: orderId,
        });
        continue;
      }
      this.orders.set(orderId, { kind: 'merged', assignmentLine: line });
      await this.add({ record: record.right, codeLine: entry.line, assignmentLine: line });
    }
  }

  private async addCodesWithoutAssignment(): Promise<void> {
    this.progress('codes without assignment');
    for (const entry of this.orders.values()) {
      if (entry.kind !== 'code') continue;
      const record = this.build(entry.code, null);
      if (E.isLeft(record))
        await this.reject({
          file: this.options.codes,
          line: entry.line,
          reason: record.left.reason,
          order_id: entry.code.orderId,
        });
      else await this.add({ record: record.right, codeLine: entry.line, assignmentLine: null });
    }
    this.orders.clear();
  }

  /** The parsed documents of a dump; what is not a document is rejected on the way. */
  private async *documents(
    file: string,
    phase: ImportProgress['phase'],
  ): AsyncGenerator<{ element: DumpElement; value: PlainDocument }> {
    this.bytesBefore += this.bytesOfFile;
    this.bytesOfFile = 0;
    try {
      for await (const element of readDump(file, (n) => (this.bytesOfFile = n))) {
        this.read++;
        if (this.read % PROGRESS_EVERY === 0) this.progress(phase);
        const value = element.defect ? E.left(element.text) : parseDocument(element.text);
        if (E.isLeft(value)) await this.rejectDocument(file, element, { reason: value.left });
        else yield { element, value: value.right };
      }
    } catch (e) {
      throw e instanceof DumpFormatError ? new Error(`${file} line ${e.line}: ${e.message}`) : e;
    }
    this.progress(phase);
  }

  private build(code: LegacyCode, assignment: Parameters<typeof toAssignment>[1]): E.Either<Rejection, Assignment> {
    return toAssignment(code, assignment, areaSettingsOf(this.options.config, code.areaId).orderExpireS, this.options.now);
  }

  private interned(code: LegacyCode): LegacyCode {
    const known = this.areaIds.get(code.areaId);
    if (known === undefined) this.areaIds.set(code.areaId, code.areaId);
    return known === undefined ? code : { ...code, areaId: known };
  }

  // ------------------------------------------------------------------ writing

  private async add(pending: Pending): Promise<void> {
    this.batch.push(pending);
    if (this.batch.length >= (this.options.batchSize ?? DEFAULT_BATCH_SIZE)) await this.flush();
  }

  /**
   * Hands the batch over to be written while the next one is read: one write
   * at most in flight, so the store sees one batch after the other.
   */
  private async flush(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    await this.writing; // a failure of the previous batch surfaces here
    if (batch.length === 0) return;
    this.writing = this.write(batch);
    // Handled when awaited; until then it must not count as an unhandled rejection.
    this.writing.catch(() => undefined);
  }

  private async write(batch: readonly Pending[]): Promise<void> {
    const { sink, dryRun } = this.options;
    if (dryRun === true) {
      const existing = await sink.existingOrderIds(batch.map((p) => p.record.orderId));
      for (const p of batch) {
        if (existing.has(p.record.orderId)) this.skipped++;
        else this.imported++;
        this.kept(p);
      }
      return;
    }

    // The sink skips what is present: no separate question before the write.
    const result = await sink.write(batch.map((p) => p.record));
    const conflicts = new Map(result.conflicts.map((c) => [c.orderId, c.reason]));
    const ids = new Set<string>(batch.map((p) => p.record.orderId));
    const strangers = [...conflicts.keys()].filter((id) => !ids.has(id));
    if (result.inserted + result.skipped + result.conflicts.length !== batch.length || strangers.length > 0) {
      throw new Error(
        `the sink did not account for its batch: ${batch.length} records, ${result.inserted} inserted + ${result.skipped} skipped + ${result.conflicts.length} conflicts`,
      );
    }
    this.imported += result.inserted;
    this.skipped += result.skipped;
    for (const p of batch) {
      const reason = conflicts.get(p.record.orderId);
      if (reason === undefined) {
        this.kept(p);
        continue;
      }
      await this.reject({
        file: this.options.codes,
        line: p.codeLine,
        reason: `conflict: ${reason}`,
        order_id: p.record.orderId,
      });
      if (p.assignmentLine !== null && this.options.assignments != null) {
        await this.reject({
          file: this.options.assignments,
          line: p.assignmentLine,
          reason: `conflict: ${reason}`,
          order_id: p.record.orderId,
        });
      }
    }
  }

  /** A record that is in the store after the run (imported or skipped). */
  private kept(p: Pending): void {
    if (p.assignmentLine !== null) this.merged++;
    if (!Object.prototype.hasOwnProperty.call(this.options.config.areas, p.record.areaId)) {
      this.unknownAreas.set(p.record.areaId, (this.unknownAreas.get(p.record.areaId) ?? 0) + 1);
    }
  }

  // ---------------------------------------------------------------- reporting

  private rejectDocument(file: string, element: DumpElement, rejection: Rejection): Promise<void> {
    return this.reject({
      file,
      line: element.line,
      reason: rejection.reason,
      ...(rejection.orderId !== undefined ? { order_id: rejection.orderId } : {}),
      ...(element.defect ? {} : { raw: cut(element.text) }),
    });
  }

  private async reject(entry: RejectEntry): Promise<void> {
    this.rejected++;
    await this.options.onReject?.(entry);
  }

  private progress(phase: ImportProgress['phase']): void {
    this.options.onProgress?.({ phase, bytesRead: this.bytesBefore + this.bytesOfFile, documents: this.read });
  }
}

/** Runs the import; the report counts every document read (see the identity above). */
export const importMongoDump = (options: ImportOptions): Promise<ImportReport> => new MongoImport(options).run();
