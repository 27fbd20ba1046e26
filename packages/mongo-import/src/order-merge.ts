import * as E from 'fp-ts/Either';
import type { Assignment, AssignmentErrorCode, Status } from '@codedispatch/core';
import { sameLegacyCode, type LegacyAssignment, type LegacyCode, type Rejection } from './mapping';

/*
 * The merge by order_id of one share of the orders (SPEC §9). The import
 * reads both dumps once and writes every document, already mapped, to the
 * share of its order (`DocumentRecord`s); then each share is merged alone,
 * with only its own orders in memory. What the merge decides comes out as
 * events, each with the position (`seq`) of the document it is about, in
 * three phases:
 *
 *   codes        the code documents' rejects, in the codes dump's order;
 *   assignments  merged records and the assignments' rejects, in the
 *                assignments dump's order;
 *   lonely       codes without an assignment, in the codes dump's order.
 *
 * Merged by `seq`, the shares' events are what one merge of everything in
 * memory would say, in the same order: the decisions about an order depend
 * on its own documents only.
 */

/** A document of a dump, mapped, as it is spilled to its order's share. */
export type DocumentRecord =
  | { readonly kind: 'code'; readonly seq: number; readonly line: number; readonly code: LegacyCode }
  | { readonly kind: 'assignment'; readonly seq: number; readonly line: number; readonly assignment: LegacyAssignment }
  | {
      readonly kind: 'rejected code';
      readonly seq: number;
      readonly line: number;
      readonly orderId: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'rejected assignment';
      readonly seq: number;
      readonly line: number;
      readonly orderId: string;
      readonly reason: string;
    };

/** The order a record belongs to. */
export const orderIdOf = (record: DocumentRecord): string => {
  switch (record.kind) {
    case 'code':
      return record.code.orderId;
    case 'assignment':
      return record.assignment.orderId;
    case 'rejected code':
    case 'rejected assignment':
      return record.orderId;
  }
};

/** Which dump a reject is about. */
export type DumpFile = 'codes' | 'assignments';

/** What the merge decided about a document. */
export type MergeEvent =
  | {
      readonly kind: 'reject';
      readonly seq: number;
      readonly file: DumpFile;
      readonly line: number;
      readonly reason: string;
      readonly orderId: string | null;
      /** The reason was found while reading the document: the reject carries its text. */
      readonly withText: boolean;
    }
  | {
      readonly kind: 'record';
      readonly seq: number;
      readonly codeLine: number;
      readonly assignmentLine: number | null;
      readonly code: LegacyCode;
      readonly assignment: LegacyAssignment | null;
    };

export type RejectEvent = Extract<MergeEvent, { kind: 'reject' }>;

export type MergePhase = 'codes' | 'assignments' | 'lonely';

export interface MergeOutput {
  emit(phase: MergePhase, event: MergeEvent): void;
}

/** What is known of an order while its share is merged. */
type OrderEntry =
  | { readonly kind: 'code'; readonly seq: number; readonly line: number; readonly code: LegacyCode }
  | { readonly kind: 'merged'; readonly assignmentLine: number }
  | { readonly kind: 'rejected'; readonly assignmentLine: number };

/**
 * The merge of one share: its code records in dump order, then its
 * assignment records in dump order, then `finish`. `build` is the mapping
 * of a code (and its assignment) to the record; `files` names the dumps in
 * the reasons.
 */
export class OrderMerge {
  /** Second code documents identical to the first of their order. */
  duplicates = 0;
  private readonly orders = new Map<string, OrderEntry>();
  /** Orders whose (only) code document was rejected → its line. */
  private readonly rejectedCodes = new Map<string, number>();
  /** One string per area id, however many documents name it. */
  private readonly areaIds = new Map<string, string>();

  constructor(
    private readonly build: (code: LegacyCode, assignment: LegacyAssignment | null) => E.Either<Rejection, Assignment>,
    private readonly files: Readonly<Record<DumpFile, string>>,
    private readonly output: MergeOutput,
  ) {}

  add(record: DocumentRecord): void {
    switch (record.kind) {
      case 'code':
      case 'rejected code':
        return this.code(record);
      case 'assignment':
      case 'rejected assignment':
        return this.assignment(record);
    }
  }

  /** The codes without an assignment, in the order of the codes dump. */
  finish(): void {
    for (const entry of this.orders.values()) {
      if (entry.kind !== 'code') continue;
      const record = this.build(entry.code, null);
      this.output.emit(
        'lonely',
        E.isLeft(record)
          ? this.reject(entry.seq, 'codes', entry.line, record.left.reason, entry.code.orderId, false)
          : { kind: 'record', seq: entry.seq, codeLine: entry.line, assignmentLine: null, code: entry.code, assignment: null },
      );
    }
    this.orders.clear();
    this.rejectedCodes.clear();
  }

  private code(record: Extract<DocumentRecord, { kind: 'code' | 'rejected code' }>): void {
    const { seq, line } = record;
    if (record.kind === 'rejected code') {
      this.output.emit('codes', this.reject(seq, 'codes', line, record.reason, record.orderId, true));
      if (!this.orders.has(record.orderId)) this.rejectedCodes.set(record.orderId, line);
      return;
    }
    const code = record.code;
    const first = this.orders.get(code.orderId);
    if (first === undefined) {
      this.orders.set(code.orderId, { kind: 'code', seq, line, code: this.interned(code) });
      this.rejectedCodes.delete(code.orderId);
    } else if (first.kind === 'code' && sameLegacyCode(first.code, code)) {
      this.duplicates++;
    } else {
      const sameCode = first.kind === 'code' && first.code.code === code.code;
      const what = sameCode ? 'the same code but another zone_id, created or expire' : 'another code';
      const reason = `second code document for the order with ${what}${first.kind === 'code' ? ` (the first, line ${first.line}, is kept)` : ''}`;
      this.output.emit('codes', this.reject(seq, 'codes', line, reason, code.orderId, true));
    }
  }

  private assignment(record: Extract<DocumentRecord, { kind: 'assignment' | 'rejected assignment' }>): void {
    const { seq, line } = record;
    const orderId = record.kind === 'assignment' ? record.assignment.orderId : record.orderId;
    const entry = this.orders.get(orderId);
    if (entry === undefined) {
      const codeLine = this.rejectedCodes.get(orderId);
      const reason =
        codeLine !== undefined
          ? `the order's code document was rejected (${this.files.codes} line ${codeLine})`
          : 'assignment without a code document';
      this.output.emit('assignments', this.reject(seq, 'assignments', line, reason, orderId, true));
      return;
    }
    if (entry.kind !== 'code') {
      const reason =
        entry.kind === 'merged'
          ? `second assignment document for the order (the first, line ${entry.assignmentLine}, is kept)`
          : `second assignment document for an order already rejected (line ${entry.assignmentLine})`;
      this.output.emit('assignments', this.reject(seq, 'assignments', line, reason, orderId, true));
      return;
    }
    const built =
      record.kind === 'rejected assignment'
        ? E.left<Rejection>({ reason: record.reason, orderId })
        : this.build(entry.code, record.assignment);
    if (E.isLeft(built)) {
      // Neither document is imported.
      this.orders.set(orderId, { kind: 'rejected', assignmentLine: line });
      this.output.emit('assignments', this.reject(seq, 'assignments', line, built.left.reason, built.left.orderId ?? null, true));
      const reason = `rejected with its assignment document (${this.files.assignments} line ${line}): ${built.left.reason}`;
      this.output.emit('assignments', this.reject(seq, 'codes', entry.line, reason, orderId, false));
      return;
    }
    this.orders.set(orderId, { kind: 'merged', assignmentLine: line });
    this.output.emit('assignments', {
      kind: 'record',
      seq,
      codeLine: entry.line,
      assignmentLine: line,
      code: entry.code,
      assignment: record.kind === 'assignment' ? record.assignment : null,
    });
  }

  private reject(
    seq: number,
    file: DumpFile,
    line: number,
    reason: string,
    orderId: string | null,
    withText: boolean,
  ): MergeEvent {
    return { kind: 'reject', seq, file, line, reason, orderId, withText };
  }

  private interned(code: LegacyCode): LegacyCode {
    const known = this.areaIds.get(code.areaId);
    if (known === undefined) this.areaIds.set(code.areaId, code.areaId);
    return known === undefined ? code : { ...code, areaId: known };
  }
}

// ------------------------------------------------------------------ spilled form

/*
 * Records and events as lines of JSON arrays in the spill files. Written and
 * read by this module only, so reading trusts what writing put there.
 */

type CodeTuple = [string, string, string, number | null, number | null, number | null];
type AssignmentTuple = [
  string,
  Status,
  AssignmentErrorCode | null,
  string | null,
  string | null,
  number | null,
  number | null,
  number | null,
];

const codeTuple = (c: LegacyCode): CodeTuple => [c.orderId, c.code, c.areaId, c.created, c.expire, c.idTime ?? null];
const codeOf = (t: CodeTuple): LegacyCode => ({
  orderId: t[0],
  code: t[1],
  areaId: t[2],
  created: t[3],
  expire: t[4],
  idTime: t[5],
});
const assignmentTuple = (a: LegacyAssignment): AssignmentTuple => [
  a.orderId,
  a.status,
  a.errorCode,
  a.driverId,
  a.parkId,
  a.created,
  a.updated,
  a.idTime ?? null,
];
const assignmentOf = (t: AssignmentTuple): LegacyAssignment => ({
  orderId: t[0],
  status: t[1],
  errorCode: t[2],
  driverId: t[3],
  parkId: t[4],
  created: t[5],
  updated: t[6],
  idTime: t[7],
});

const RECORD_KINDS = ['code', 'assignment', 'rejected code', 'rejected assignment'] as const;

export const recordToLine = (r: DocumentRecord): string => {
  switch (r.kind) {
    case 'code':
      return JSON.stringify([r.seq, r.line, 0, codeTuple(r.code)]);
    case 'assignment':
      return JSON.stringify([r.seq, r.line, 1, assignmentTuple(r.assignment)]);
    case 'rejected code':
      return JSON.stringify([r.seq, r.line, 2, r.orderId, r.reason]);
    case 'rejected assignment':
      return JSON.stringify([r.seq, r.line, 3, r.orderId, r.reason]);
  }
};

export const lineToRecord = (text: string): DocumentRecord => {
  const t = JSON.parse(text) as [number, number, number, ...unknown[]];
  const [seq, line, kind] = t;
  switch (RECORD_KINDS[kind]) {
    case 'code':
      return { kind: 'code', seq, line, code: codeOf(t[3] as CodeTuple) };
    case 'assignment':
      return { kind: 'assignment', seq, line, assignment: assignmentOf(t[3] as AssignmentTuple) };
    case 'rejected code':
      return { kind: 'rejected code', seq, line, orderId: t[3] as string, reason: t[4] as string };
    case 'rejected assignment':
      return { kind: 'rejected assignment', seq, line, orderId: t[3] as string, reason: t[4] as string };
    default:
      throw new Error(`not a spilled record: ${text.slice(0, 100)}`);
  }
};

export const eventToLine = (e: MergeEvent): string =>
  e.kind === 'reject'
    ? JSON.stringify([e.seq, 0, e.file === 'codes' ? 0 : 1, e.line, e.reason, e.orderId, e.withText ? 1 : 0])
    : JSON.stringify([
        e.seq,
        1,
        e.codeLine,
        e.assignmentLine,
        codeTuple(e.code),
        e.assignment === null ? null : assignmentTuple(e.assignment),
      ]);

export const lineToEvent = (text: string): MergeEvent => {
  const t = JSON.parse(text) as [number, number, ...unknown[]];
  if (t[1] === 0)
    return {
      kind: 'reject',
      seq: t[0],
      file: t[2] === 0 ? 'codes' : 'assignments',
      line: t[3] as number,
      reason: t[4] as string,
      orderId: t[5] as string | null,
      withText: t[6] === 1,
    };
  return {
    kind: 'record',
    seq: t[0],
    codeLine: t[2] as number,
    assignmentLine: t[3] as number | null,
    code: codeOf(t[4] as CodeTuple),
    assignment: t[5] === null ? null : assignmentOf(t[5] as AssignmentTuple),
  };
};
