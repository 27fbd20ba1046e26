import { mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { areaSettingsOf, type Assignment, type DispatchConfig } from '@codedispatch/core';
import { readDump, type DumpElement } from './dump-reader';
import { DumpFormatError } from './json-array-splitter';
import { parseDocument, type PlainDocument } from './ejson';
import {
  readLegacyAssignment,
  readLegacyCode,
  toAssignment,
  type LegacyAssignment,
  type LegacyCode,
  type Rejection,
} from './mapping';
import {
  eventToLine,
  lineToEvent,
  lineToRecord,
  OrderMerge,
  recordToLine,
  orderIdOf,
  type DocumentRecord,
  type DumpFile,
  type MergeEvent,
  type MergePhase,
  type RejectEvent,
} from './order-merge';
import type { LegacyAssignmentSink } from './sink';
import { mergeBySeq, readSpill, SpillWriter } from './spill';

/*
 * The MongoDB import (SPEC §9), in three passes with bounded memory:
 *
 *   1. read:  both dumps are streamed once; each document is parsed, mapped
 *             and spilled to a temporary file of its order's partition
 *             (by a hash of order_id);
 *   2. merge: each partition is merged by order_id alone (`OrderMerge`),
 *             with only its own orders in memory;
 *   3. write: the partitions' decisions are merged back into the order of
 *             the dumps — the code documents' rejects, then the merged
 *             records (assignments dump order), then the codes without an
 *             assignment (codes dump order) — and records go to the sink in
 *             batches, orders already present being skipped.
 *
 * The result, rejects and their order included, is that of one merge of
 * everything in memory. Every document read ends up counted exactly once:
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
  /** Reading the codes, then the assignments; merging by order_id; writing the records. */
  readonly phase: 'codes' | 'assignments' | 'merging' | 'writing';
  /** Bytes read of both files so far. */
  readonly bytesRead: number;
  readonly documents: number;
  /** Records handed to the store so far (in a dry run: compared with it). */
  readonly records: number;
  /** Records to write in all, once the merge has counted them (else null). */
  readonly recordsTotal: number | null;
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
  /**
   * Where the passes spill (a directory of its own is made and removed
   * there); default the system's (TMPDIR). Needs about half the size of the
   * dumps.
   */
  readonly tempDir?: string;
  /** Bytes of the codes dump per partition (default `DEFAULT_PARTITION_BYTES`): what is in memory at once while merging. */
  readonly partitionBytes?: number;
  readonly onReject?: (entry: RejectEntry) => void | Promise<void>;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export const DEFAULT_BATCH_SIZE = 1000;
export const MAX_RAW_CHARS = 4096;
/** 16 MiB of code documents, some 70,000 orders: a few tens of MB of memory while merging. */
export const DEFAULT_PARTITION_BYTES = 16 * 1024 * 1024;
/** More partitions than this and the files open at once get many; past it, partitions grow instead. */
const MAX_PARTITIONS = 256;
const PROGRESS_EVERY = 1000;

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

  private batch: Pending[] = [];
  /** The batch being written. */
  private writing: Promise<void> = Promise.resolve();
  private bytesBefore = 0;
  private bytesOfFile = 0;
  private records = 0;
  private recordsTotal: number | null = null;
  private readonly files: Readonly<Record<DumpFile, string>>;

  constructor(private readonly options: ImportOptions) {
    this.files = { codes: options.codes, assignments: options.assignments ?? '' };
  }

  async run(): Promise<ImportReport> {
    const dir = mkdtempSync(join(this.options.tempDir ?? tmpdir(), 'import-mongo-'));
    try {
      const partitions = await this.readDumps(dir);
      await this.mergePartitions(partitions);
      this.progress('writing');
      for (const phase of MERGE_PHASES) await this.writePhase(partitions, phase);
      await this.flush();
      await this.writing;
      this.progress('writing');
    } catch (e) {
      // Never leave a write running behind a failure: the caller closes the store next.
      await this.writing.catch(() => undefined);
      throw e;
    } finally {
      rmSync(dir, { recursive: true, force: true });
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

  // ------------------------------------------------------------- 1. reading

  /**
   * Streams both dumps into the partitions' files (`in`), in dump order.
   * What has no order_id, or is no document, cannot belong to a partition:
   * its reject goes straight to the phase's file of strays.
   */
  private async readDumps(dir: string): Promise<Partitions> {
    const bytes = statSync(this.options.codes).size;
    const count = Math.min(
      MAX_PARTITIONS,
      Math.max(1, Math.ceil(bytes / (this.options.partitionBytes ?? DEFAULT_PARTITION_BYTES))),
    );
    const partitions = new Partitions(dir, count);
    const inputs = partitions.paths.map((p) => new SpillWriter(p.in));
    const strays = {
      codes: new SpillWriter(partitions.strays.codes),
      assignments: new SpillWriter(partitions.strays.assignments),
    };
    const spill = (item: DocumentRecord | RejectEvent, stray: SpillWriter): void => {
      if (item.kind === 'reject') stray.line(eventToLine(item));
      else (inputs[partitionOf(orderIdOf(item), count)] as SpillWriter).line(recordToLine(item));
    };
    try {
      for await (const doc of this.documents('codes', strays.codes)) spill(codeRecord(doc), strays.codes);
      if (this.options.assignments != null) {
        for await (const doc of this.documents('assignments', strays.assignments))
          spill(assignmentRecord(doc), strays.assignments);
      }
    } finally {
      for (const writer of [...inputs, strays.codes, strays.assignments]) writer.close();
    }
    return partitions;
  }

  /**
   * The parsed documents of a dump, each with its position and line; what
   * is not a document is rejected on the way (into `strays`).
   */
  private async *documents(file: DumpFile, strays: SpillWriter): AsyncGenerator<ReadDocument> {
    const path = this.files[file];
    this.bytesBefore += this.bytesOfFile;
    this.bytesOfFile = 0;
    let seq = 0;
    try {
      for await (const element of readDump(path, (n) => (this.bytesOfFile = n))) {
        this.read++;
        if (this.read % PROGRESS_EVERY === 0) this.progress(file);
        const value = element.defect ? E.left(element.text) : parseDocument(element.text);
        if (E.isLeft(value))
          strays.line(
            eventToLine({
              kind: 'reject',
              seq,
              file,
              line: element.line,
              reason: value.left,
              orderId: null,
              withText: !element.defect,
            }),
          );
        else yield { file, seq, line: element.line, value: value.right };
        seq++;
      }
    } catch (e) {
      throw e instanceof DumpFormatError ? new Error(`${path} line ${e.line}: ${e.message}`) : e;
    }
    this.progress(file);
  }

  // ------------------------------------------------------------- 2. merging

  /** Merges each partition alone: its `in` file becomes one file of events per phase. */
  private async mergePartitions(partitions: Partitions): Promise<void> {
    let records = 0;
    for (const paths of partitions.paths) {
      const outputs = {
        codes: new SpillWriter(paths.codes),
        assignments: new SpillWriter(paths.assignments),
        lonely: new SpillWriter(paths.lonely),
      };
      try {
        const merge = new OrderMerge((code, assignment) => this.build(code, assignment), this.files, {
          emit: (phase, event) => {
            if (event.kind === 'record') records++;
            outputs[phase].line(eventToLine(event));
          },
        });
        for (const line of readSpill(paths.in)) merge.add(lineToRecord(line));
        merge.finish();
        this.duplicates += merge.duplicates;
      } finally {
        for (const output of Object.values(outputs)) output.close();
      }
      unlinkSync(paths.in);
      this.progress('merging');
      // A partition is merged without a pause: let timers (the progress bar) and signals in between.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.recordsTotal = records;
  }

  // ------------------------------------------------------------- 3. writing

  /** One phase of every partition, back in the order of the dumps: rejects reported, records written. */
  private async writePhase(partitions: Partitions, phase: MergePhase): Promise<void> {
    const sources = partitions.paths.map((p) => events(p[phase]));
    if (phase !== 'lonely') sources.push(events(partitions.strays[phase]));
    const texts = { codes: new DumpTexts(this.files.codes), assignments: new DumpTexts(this.files.assignments) };
    try {
      for (const event of mergeBySeq(sources)) {
        if (event.kind === 'reject') {
          await this.reject({
            file: this.files[event.file],
            line: event.line,
            reason: event.reason,
            ...(event.orderId !== null ? { order_id: event.orderId } : {}),
            ...(event.withText ? { raw: cut(await texts[event.file].at(event.seq)) } : {}),
          });
          continue;
        }
        const record = this.build(event.code, event.assignment);
        if (E.isLeft(record)) throw new Error(`order ${event.code.orderId}: built when merged, not when written`);
        await this.add({ record: record.right, codeLine: event.codeLine, assignmentLine: event.assignmentLine });
      }
    } finally {
      await texts.codes.close();
      await texts.assignments.close();
    }
  }

  private build(code: LegacyCode, assignment: LegacyAssignment | null): E.Either<Rejection, Assignment> {
    return toAssignment(code, assignment, areaSettingsOf(this.options.config, code.areaId).orderExpireS, this.options.now);
  }

  private async add(pending: Pending): Promise<void> {
    this.batch.push(pending);
    this.records++;
    if (this.records % PROGRESS_EVERY === 0) this.progress('writing');
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

  private async reject(entry: RejectEntry): Promise<void> {
    this.rejected++;
    await this.options.onReject?.(entry);
  }

  private progress(phase: ImportProgress['phase']): void {
    this.options.onProgress?.({
      phase,
      bytesRead: this.bytesBefore + this.bytesOfFile,
      documents: this.read,
      records: this.records,
      recordsTotal: this.recordsTotal,
    });
  }
}

const MERGE_PHASES: readonly MergePhase[] = ['codes', 'assignments', 'lonely'];

/** A document of a dump as read: where it is, and its value. */
interface ReadDocument {
  readonly file: DumpFile;
  readonly seq: number;
  readonly line: number;
  readonly value: PlainDocument;
}

/** A document without an order_id belongs to no partition: it is rejected where it stands. */
const stray = (doc: ReadDocument, reason: string): RejectEvent => ({
  kind: 'reject',
  seq: doc.seq,
  file: doc.file,
  line: doc.line,
  reason,
  orderId: null,
  withText: true,
});

/** A code document → the record its order's partition gets, or its reject. */
const codeRecord = (doc: ReadDocument): DocumentRecord | RejectEvent => {
  const code = readLegacyCode(doc.value);
  if (E.isRight(code)) return { kind: 'code', seq: doc.seq, line: doc.line, code: code.right };
  const { orderId, reason } = code.left;
  return orderId === undefined ? stray(doc, reason) : { kind: 'rejected code', seq: doc.seq, line: doc.line, orderId, reason };
};

/** An assignment document → the record its order's partition gets, or its reject. */
const assignmentRecord = (doc: ReadDocument): DocumentRecord | RejectEvent => {
  const assignment = readLegacyAssignment(doc.value);
  if (E.isRight(assignment)) return { kind: 'assignment', seq: doc.seq, line: doc.line, assignment: assignment.right };
  const { orderId, reason } = assignment.left;
  return orderId === undefined
    ? stray(doc, reason)
    : { kind: 'rejected assignment', seq: doc.seq, line: doc.line, orderId, reason };
};

/** The files of the passes, in their own directory. */
class Partitions {
  /** Per partition: its documents (`in`), then its events of each phase. */
  readonly paths: readonly ({ readonly in: string } & Readonly<Record<MergePhase, string>>)[];
  /** Rejects of what has no order_id, per dump, in dump order. */
  readonly strays: Readonly<Record<DumpFile, string>>;

  constructor(dir: string, count: number) {
    this.paths = Array.from({ length: count }, (_, i) => ({
      in: join(dir, `${i}.in`),
      codes: join(dir, `${i}.codes`),
      assignments: join(dir, `${i}.assignments`),
      lonely: join(dir, `${i}.lonely`),
    }));
    this.strays = { codes: join(dir, 'strays.codes'), assignments: join(dir, 'strays.assignments') };
  }
}

function* events(path: string): Generator<MergeEvent> {
  for (const line of readSpill(path)) yield lineToEvent(line);
}

/** The partition of an order: FNV-1a of its id. */
const partitionOf = (orderId: string, count: number): number => {
  if (count === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < orderId.length; i++) hash = Math.imul(hash ^ orderId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % count;
};

/**
 * The texts of a dump's documents, asked for in dump order: the reject file
 * carries the text of a document rejected while it was read. The dump is
 * read again, forward, only as far as a reject needs it.
 */
class DumpTexts {
  private reader: AsyncGenerator<DumpElement> | null = null;
  private seq = -1;

  constructor(private readonly path: string) {}

  async at(seq: number): Promise<string> {
    this.reader ??= readDump(this.path);
    if (seq <= this.seq) throw new Error(`${this.path}: the text of document ${seq} was asked for after ${this.seq}`);
    for (;;) {
      const next = await this.reader.next();
      if (next.done === true) throw new Error(`${this.path}: document ${seq} is no longer there`);
      this.seq++;
      if (this.seq === seq) return next.value.text;
    }
  }

  async close(): Promise<void> {
    await this.reader?.return(undefined);
  }
}

/** Runs the import; the report counts every document read (see the identity above). */
export const importMongoDump = (options: ImportOptions): Promise<ImportReport> => new MongoImport(options).run();
