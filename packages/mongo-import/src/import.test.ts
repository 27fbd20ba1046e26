import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/Either';
import { decodeConfig, type Assignment, type DispatchConfig } from '@codedispatch/core';
import { areaSettings, testConfig } from '@codedispatch/core/testing';
import {
  at,
  canonical,
  raw,
  tmpDir,
  writeJsonArray,
  writeJsonLines,
  type DocEntry,
  type Entry,
  type RawEntry,
} from './__tests__/fixtures';
import { importMongoDump, type ImportOptions, type ImportReport, type RejectEntry } from './import';
import { InMemoryLegacyAssignmentSink } from './in-memory-sink';

const NOW = at('2026-11-26T10:00:00.000Z');
const CONFIG = testConfig({ areas: [areaSettings('svo_d'), areaSettings('zenit', { orderExpireS: 600 })] });

const doc = (d: Record<string, unknown>): DocEntry => ({ doc: d });
const driver = (n: string) => ({ driver_id: `d${n}`, park_id: `p${n}` });

/*
 * One dump of both collections with every case of SPEC §9. Codes: JSON lines
 * (relaxed, one canonical); assignments: a pretty-printed JSON array mixing
 * relaxed and canonical documents. Line numbers below are the codes' lines.
 */
const CODES: Entry[] = [
  /* 1 */ doc({
    order_id: 'o1',
    code: '482 913',
    zone_id: 'svo_d',
    created: at('2026-11-26T09:50:00Z'),
    expire: at('2026-11-26T10:20:00Z'),
  }),
  /* 2 */ doc({ order_id: 'o2', code: '111-222', zone_id: 'svo_d', created: at('2026-11-26T09:00:00Z') }),
  /* 3 */ doc({ order_id: 'o3', code: '333.444', zone_id: 'zenit', created: at('2026-11-26T09:55:00Z') }),
  /* 4 */ raw('{"order_id": "o4", "code": "444444" "zone_id": "svo_d"}'),
  /* 5 */ doc({ code: '555555', zone_id: 'svo_d', created: at('2026-11-26T09:00:00Z') }),
  /* 6 */ doc({ order_id: 'o6', zone_id: 'svo_d', created: at('2026-11-26T09:00:00Z') }),
  /* 7 */ doc({ order_id: 'o7', code: '777777', created: at('2026-11-26T09:00:00Z') }),
  /* 8 */ doc({
    order_id: 'o1',
    code: '482913',
    zone_id: 'svo_d',
    created: at('2026-11-26T09:50:00Z'),
    expire: at('2026-11-26T10:20:00Z'),
  }),
  /* 9 */ doc({ order_id: 'o1', code: '999999', zone_id: 'svo_d', created: at('2026-11-26T09:50:00Z') }),
  /* 10 */ '',
  /* 11 */ canonical({ order_id: 'o11', code: '121212', zone_id: 'unknown_zone', created: at('2026-11-26T09:30:00Z') }),
  /* 12 */ doc({ order_id: 'o12', code: '131313', zone_id: 'svo_d', created: at('2026-11-26T09:30:00Z') }),
  /* 13 */ doc({ order_id: 'o13', code: '141414', zone_id: 'svo_d', created: at('2026-11-26T09:30:00Z') }),
  /* 14 */ doc({ order_id: 'o14', code: '151515', zone_id: 'svo_d', created: at('2026-11-26T09:30:00Z') }),
  /* 15 */ doc({ order_id: 'o15', code: '161616', zone_id: 'svo_d', created: at('2026-11-26T09:30:00Z') }),
  /* 16 */ doc({ order_id: 'o16', code: '171717', zone_id: 'svo_d', created: at('2026-11-26T09:30:00Z') }),
  /* 17 */ doc({ order_id: 'o17', code: '181818', zone_id: 'svo_d' }),
  /* 18 */ doc({ order_id: 'o18', code: '191919', zone_id: 'svo_d' }), // no created: the ObjectId's time is used
  /* 19 */ doc({ order_id: 'o19', code: '202020', zone_id: 'svo_d', created: at('2026-11-26T09:30:00Z') }),
];

const ASSIGNMENTS: (DocEntry | RawEntry)[] = [
  /* a1 */ doc({
    order_id: 'o1',
    ...driver('1'),
    status: 'processing',
    created: at('2026-11-26T09:51:00Z'),
    updated: at('2026-11-26T09:52:00Z'),
  }),
  /* a2 */ canonical({
    order_id: 'o11',
    ...driver('11'),
    status: 'assigned',
    created: at('2026-11-26T09:31:00Z'),
    updated: at('2026-11-26T09:33:00Z'),
  }),
  /* a3 */ doc({ order_id: 'o12', status: 'weird', updated: at('2026-11-26T09:31:00Z') }),
  /* a4 */ doc({ order_id: 'o13', ...driver('13'), status: 'error', updated: at('2026-11-26T09:31:00Z') }),
  /* a5 */ doc({
    order_id: 'o14',
    ...driver('14'),
    status: 'error',
    error: 'driver_busy',
    updated: at('2026-11-26T09:31:00Z'),
    note: 'a } ] , " [ {',
  }),
  /* a6 */ doc({ order_id: 'o15', status: 'processing', updated: at('2026-11-26T09:31:00Z') }),
  /* a7 */ doc({ order_id: 'o16', status: 'pending', updated: at('2026-11-26T09:31:00Z') }),
  /* a8 */ doc({ order_id: 'o16', ...driver('16'), status: 'assigned', updated: at('2026-11-26T09:35:00Z') }),
  /* a9 */ doc({
    order_id: 'o17',
    ...driver('17'),
    status: 'assigned',
    created: at('2026-11-26T09:40:00Z'),
    updated: at('2026-11-26T09:41:00Z'),
  }),
  /* a10 */ doc({ order_id: 'o19', ...driver('19'), status: 'error', error: 'cancelled', updated: at('2026-11-26T09:45:00Z') }),
  /* a11 */ doc({ order_id: 'oX', status: 'pending' }),
  /* a12 */ doc({ order_id: 'o6', status: 'pending' }),
  /* a13 */ raw('{"order_id": oops}'),
  /* a14 */ doc({ status: 'pending' }),
  /* a15 */ raw('"just a string"'),
];

interface Dumps {
  readonly codes: string;
  readonly assignments: string;
  /** Line of each entry of CODES / ASSIGNMENTS. */
  readonly codeLines: number[];
  readonly assignmentLines: number[];
}

const writeDumps = (format: 'lines+array' | 'array+lines'): Dumps => {
  const dir = tmpDir();
  const codes = join(dir, format === 'lines+array' ? 'codes.jsonl' : 'codes.json');
  const assignments = join(dir, format === 'lines+array' ? 'assignments.json' : 'assignments.jsonl');
  const codeLines =
    format === 'lines+array'
      ? writeJsonLines(codes, CODES)
      : writeJsonArray(
          codes,
          CODES.filter((e): e is DocEntry | RawEntry => e !== ''),
        );
  const assignmentLines =
    format === 'lines+array' ? writeJsonArray(assignments, ASSIGNMENTS) : writeJsonLines(assignments, ASSIGNMENTS);
  if (format === 'array+lines') codeLines.splice(9, 0, -1); // keep CODES' indexes: the blank line has no element
  return { codes, assignments, codeLines, assignmentLines };
};

const run = async (
  sink: InMemoryLegacyAssignmentSink,
  options: Partial<ImportOptions> & Pick<ImportOptions, 'codes'>,
): Promise<{ report: ImportReport; rejects: RejectEntry[] }> => {
  const rejects: RejectEntry[] = [];
  const report = await importMongoDump({ sink, config: CONFIG, now: NOW, onReject: (r) => void rejects.push(r), ...options });
  return { report, rejects };
};

const record = (sink: InMemoryLegacyAssignmentSink, id: string): Assignment => {
  const found = sink.records.get(id);
  if (found === undefined) throw new Error(`no record ${id}`);
  return found;
};

describe.each(['lines+array', 'array+lines'] as const)('importMongoDump (%s)', (format) => {
  let dumps: Dumps;
  beforeAll(() => {
    dumps = writeDumps(format);
  });

  it('counts every document exactly once', async () => {
    const sink = new InMemoryLegacyAssignmentSink();
    const { report } = await run(sink, { codes: dumps.codes, assignments: dumps.assignments });
    expect(report).toEqual({
      dry_run: false,
      read: 33,
      imported: 9,
      merged: 6,
      skipped: 0,
      rejected: 17,
      unknown_areas: 1,
      duplicates: 1,
      records_by_unknown_area: { unknown_zone: 1 },
    });
    expect(report.imported + report.skipped + report.merged + report.duplicates + report.rejected).toBe(report.read);
    expect([...sink.records.keys()].sort()).toEqual(['o1', 'o11', 'o14', 'o16', 'o17', 'o18', 'o19', 'o2', 'o3']);
  });

  it('rejects with file, line, reason and order_id', async () => {
    const { rejects } = await run(new InMemoryLegacyAssignmentSink(), { codes: dumps.codes, assignments: dumps.assignments });
    const c = (i: number) => ({ file: dumps.codes, line: dumps.codeLines[i - 1] });
    const a = (i: number) => ({ file: dumps.assignments, line: dumps.assignmentLines[i - 1] });
    const summary = rejects.map((r) => ({
      file: r.file,
      line: r.line,
      reason: r.reason,
      ...(r.order_id ? { order_id: r.order_id } : {}),
    }));
    const expected = [
      { ...c(4), reason: expect.stringMatching(/^not a JSON document: /) },
      { ...c(5), reason: 'document without order_id' },
      { ...c(6), reason: 'code document without code', order_id: 'o6' },
      { ...c(7), reason: 'code document without zone_id', order_id: 'o7' },
      {
        ...c(9),
        reason: `second code document for the order with another code (the first, line ${c(1).line}, is kept)`,
        order_id: 'o1',
      },
      { ...a(3), reason: 'status "weird" does not map', order_id: 'o12' },
      {
        ...c(12),
        reason: `rejected with its assignment document (${dumps.assignments} line ${a(3).line}): status "weird" does not map`,
        order_id: 'o12',
      },
      { ...a(4), reason: 'status error without an error code', order_id: 'o13' },
      { ...c(13), reason: expect.stringContaining('status error without an error code'), order_id: 'o13' },
      { ...a(6), reason: 'status processing without driver_id and park_id', order_id: 'o15' },
      { ...c(15), reason: expect.stringContaining('status processing without driver_id and park_id'), order_id: 'o15' },
      { ...a(8), reason: `second assignment document for the order (the first, line ${a(7).line}, is kept)`, order_id: 'o16' },
      { ...a(11), reason: 'assignment without a code document', order_id: 'oX' },
      { ...a(12), reason: `the order's code document was rejected (${dumps.codes} line ${c(6).line})`, order_id: 'o6' },
      { ...a(13), reason: expect.stringMatching(/^not a JSON document: /) },
      { ...a(14), reason: 'document without order_id' },
      { ...a(15), reason: 'not a JSON document: a string' },
    ];
    expect(summary).toEqual(expected);
    // The text of what was read is kept for documents rejected while reading.
    expect(rejects[0]?.raw).toBe('{"order_id": "o4", "code": "444444" "zone_id": "svo_d"}');
    expect(rejects.find((r) => r.line === a(13).line && r.file === dumps.assignments)?.raw).toBe('{"order_id": oops}');
  });

  it('merges by order_id: timestamps kept, expiry computed, status and error mapped', async () => {
    const sink = new InMemoryLegacyAssignmentSink();
    await run(sink, { codes: dumps.codes, assignments: dumps.assignments });

    expect(record(sink, 'o1')).toMatchObject({
      areaId: 'svo_d',
      code: '482913',
      status: 'processing',
      driver: { parkDbId: 'p1', driverId: 'd1' },
      attempt: 1,
      createdAt: at('2026-11-26T09:50:00Z'),
      updatedAt: at('2026-11-26T09:52:00Z'),
      expiresAt: at('2026-11-26T10:20:00Z'),
      releasedAt: null,
      legacy: true,
      version: 1,
      changes: [{ at: at('2026-11-26T09:50:00Z'), from: null, to: 'processing', actor: { kind: 'system' }, reason: 'imported' }],
    });
    // A code alone, expired (created + 1800 s of svo_d is past): error(expired).
    expect(record(sink, 'o2')).toMatchObject({
      code: '111222',
      status: 'error',
      errorCode: 'expired',
      expiresAt: at('2026-11-26T09:30:00Z'),
      updatedAt: at('2026-11-26T09:00:00Z'),
      releasedAt: at('2026-11-26T09:00:00Z'),
      attempt: 0,
    });
    // A code alone, zenit's order_expire_s is 600: still pending.
    expect(record(sink, 'o3')).toMatchObject({
      code: '333444',
      areaId: 'zenit',
      status: 'pending',
      expiresAt: at('2026-11-26T10:05:00Z'),
    });
    // Canonical EJSON, an area the configuration does not know: imported with the default 1800 s.
    expect(record(sink, 'o11')).toMatchObject({
      areaId: 'unknown_zone',
      status: 'assigned',
      expiresAt: at('2026-11-26T10:00:00Z'),
      updatedAt: at('2026-11-26T09:33:00Z'),
      releasedAt: at('2026-11-26T09:33:00Z'),
    });
    expect(record(sink, 'o14')).toMatchObject({ status: 'error', errorCode: 'driver_busy', releasedAt: null, attempt: 1 });
    expect(record(sink, 'o16')).toMatchObject({ status: 'pending', driver: null, attempt: 0 });
    // No created in the code document: the assignment's.
    expect(record(sink, 'o17')).toMatchObject({ createdAt: at('2026-11-26T09:40:00Z'), expiresAt: at('2026-11-26T10:10:00Z') });
    // No created date anywhere: the code document's ObjectId gives it.
    expect(record(sink, 'o18').createdAt.getTime() % 1000).toBe(0);
    expect(record(sink, 'o19')).toMatchObject({
      status: 'error',
      errorCode: 'order_cancelled',
      releasedAt: at('2026-11-26T09:45:00Z'),
    });
    expect(record(sink, 'o19').changes).toEqual([
      {
        at: at('2026-11-26T09:30:00Z'),
        from: null,
        to: 'error',
        actor: { kind: 'system' },
        errorCode: 'order_cancelled',
        reason: 'imported',
      },
    ]);
  });

  it('merges in partitions as it would all at once: the same report, rejects (texts and order included) and records', async () => {
    const phases = (into: string[]) => (p: { phase: string }) => void into.push(p.phase);
    const whole: string[] = [];
    const split: string[] = [];
    const one = new InMemoryLegacyAssignmentSink();
    const many = new InMemoryLegacyAssignmentSink();
    const a = await run(one, { codes: dumps.codes, assignments: dumps.assignments, onProgress: phases(whole) });
    const b = await run(many, {
      codes: dumps.codes,
      assignments: dumps.assignments,
      onProgress: phases(split),
      partitionBytes: 64,
    });
    expect(whole.filter((p) => p === 'merging')).toHaveLength(1);
    expect(split.filter((p) => p === 'merging').length).toBeGreaterThan(10);
    expect(b.report).toEqual(a.report);
    expect(b.rejects).toEqual(a.rejects);
    expect([...many.records.entries()]).toEqual([...one.records.entries()]);
  });

  it('is idempotent: a second run imports nothing and skips what is present, rejecting the same documents again', async () => {
    const sink = new InMemoryLegacyAssignmentSink();
    const first = await run(sink, { codes: dumps.codes, assignments: dumps.assignments });
    const before = new Map(sink.records);
    const second = await run(sink, { codes: dumps.codes, assignments: dumps.assignments, batchSize: 3 });
    expect(second.report).toEqual({ ...first.report, imported: 0, skipped: 9 });
    expect(second.rejects).toEqual(first.rejects);
    expect(sink.records).toEqual(before);
  });

  it('a dry run writes nothing and reports what it would do', async () => {
    const sink = new InMemoryLegacyAssignmentSink();
    const { report } = await run(sink, { codes: dumps.codes, assignments: dumps.assignments, dryRun: true });
    expect(report).toMatchObject({ dry_run: true, read: 33, imported: 9, merged: 6, skipped: 0, rejected: 17 });
    expect(sink.writes).toBe(0);
    expect(sink.records.size).toBe(0);

    await run(sink, { codes: dumps.codes, assignments: dumps.assignments, batchSize: 2 });
    const again = await run(sink, { codes: dumps.codes, assignments: dumps.assignments, dryRun: true });
    expect(again.report).toMatchObject({ imported: 0, skipped: 9 });
  });
});

describe('importMongoDump, other cases', () => {
  it('counts every area as unknown without configured areas (the built-in defaults)', async () => {
    const { codes, assignments } = writeDumps('lines+array');
    const defaults = decodeConfig({});
    if (E.isLeft(defaults)) throw new Error('the defaults do not decode');
    const rejects: RejectEntry[] = [];
    const report = await importMongoDump({
      codes,
      assignments,
      sink: new InMemoryLegacyAssignmentSink(),
      config: defaults.right as DispatchConfig,
      now: NOW,
      onReject: (r) => void rejects.push(r),
    });
    expect(report.unknown_areas).toBe(3);
    expect(report.records_by_unknown_area).toEqual({ svo_d: 7, unknown_zone: 1, zenit: 1 });
  });

  it('imports codes alone when there is no assignments dump', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.jsonl');
    writeJsonLines(codes, [
      doc({ order_id: 'a', code: '1', zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') }),
      doc({ order_id: 'b', code: '2', zone_id: 'svo_d', created: at('2026-11-26T08:00:00Z') }),
    ]);
    const sink = new InMemoryLegacyAssignmentSink();
    const { report } = await run(sink, { codes });
    expect(report).toMatchObject({ read: 2, imported: 2, merged: 0, rejected: 0 });
    expect(record(sink, 'a').status).toBe('pending');
    expect(record(sink, 'b').errorCode).toBe('expired');
  });

  it.each([undefined, 1])(
    'rejects both documents of a record the store refuses (an active code already active in the area), partitions of %s bytes',
    async (partitionBytes) => {
      const dir = tmpDir();
      const codes = join(dir, 'codes.jsonl');
      const assignments = join(dir, 'assignments.jsonl');
      writeJsonLines(codes, [
        doc({ order_id: 'a', code: '123 456', zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') }),
        doc({ order_id: 'b', code: '123456', zone_id: 'svo_d', created: at('2026-11-26T09:58:00Z') }),
        doc({ order_id: 'c', code: '123456', zone_id: 'zenit', created: at('2026-11-26T09:58:00Z') }),
      ]);
      writeJsonLines(assignments, [doc({ order_id: 'b', ...driver('1'), status: 'processing' })]);
      const sink = new InMemoryLegacyAssignmentSink();
      const { report, rejects } = await run(sink, { codes, assignments, partitionBytes });
      // b (merged) is written first, then the codes alone: a clashes with b.
      expect(report).toMatchObject({ read: 4, imported: 2, merged: 1, rejected: 1 });
      expect(rejects).toEqual([
        { file: codes, line: 1, order_id: 'a', reason: 'conflict: code 123456 is already active in area svo_d (order b)' },
      ]);

      const rerun = await run(new InMemoryLegacyAssignmentSink([record(sink, 'b')]), { codes, assignments, partitionBytes });
      expect(rerun.report).toMatchObject({ imported: 1, skipped: 1, merged: 1, rejected: 1 });
    },
  );

  it('rejects both documents of a merged record in conflict', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.jsonl');
    const assignments = join(dir, 'assignments.jsonl');
    writeJsonLines(codes, [doc({ order_id: 'new', code: '7', zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') })]);
    writeJsonLines(assignments, ['', doc({ order_id: 'new', ...driver('1'), status: 'error', error: 'driver_busy' })]);
    const existing = { ...record(await importOne('old', '7'), 'old') };
    const { report, rejects } = await run(new InMemoryLegacyAssignmentSink([existing]), { codes, assignments });
    expect(report).toMatchObject({ read: 2, imported: 0, merged: 0, rejected: 2 });
    expect(rejects.map((r) => [r.file, r.line, r.reason])).toEqual([
      [codes, 1, 'conflict: code 7 is already active in area svo_d (order old)'],
      [assignments, 2, 'conflict: code 7 is already active in area svo_d (order old)'],
    ]);
  });

  it('writes in batches', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.jsonl');
    writeJsonLines(
      codes,
      Array.from({ length: 25 }, (_, i) =>
        doc({ order_id: `o${i}`, code: String(i), zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') }),
      ),
    );
    const sink = new InMemoryLegacyAssignmentSink();
    const { report } = await run(sink, { codes, batchSize: 10 });
    expect(report.imported).toBe(25);
    expect(sink.writes).toBe(3);
  });

  it('asks the store which orders are present only in a dry run: a write skips them by itself', async () => {
    const { codes, assignments } = writeDumps('lines+array');
    const sink = new InMemoryLegacyAssignmentSink();
    const asked: number[] = [];
    const existingOrderIds = sink.existingOrderIds.bind(sink);
    sink.existingOrderIds = (ids) => {
      asked.push(ids.length);
      return existingOrderIds(ids);
    };
    await run(sink, { codes, assignments });
    const again = await run(sink, { codes, assignments });
    expect(asked).toEqual([]);
    expect(again.report).toMatchObject({ imported: 0, skipped: 9 });
    const dry = await run(sink, { codes, assignments, dryRun: true });
    expect(asked).toEqual([9]);
    expect(dry.report).toMatchObject({ imported: 0, skipped: 9 });
  });

  it('stops with an error when the sink does not account for a batch', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.jsonl');
    writeJsonLines(codes, [doc({ order_id: 'a', code: '1', zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') })]);
    const sink = new InMemoryLegacyAssignmentSink();
    sink.write = () => Promise.resolve({ inserted: 0, skipped: 0, conflicts: [] });
    await expect(run(sink, { codes })).rejects.toThrow('the sink did not account for its batch');
  });

  it('stops on a failed write, after the write in flight, without an unhandled rejection', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.jsonl');
    writeJsonLines(
      codes,
      Array.from({ length: 10 }, (_, i) =>
        doc({ order_id: `o${i}`, code: String(i), zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') }),
      ),
    );
    const sink = new InMemoryLegacyAssignmentSink();
    const write = sink.write.bind(sink);
    sink.write = (records) => (sink.writes === 1 ? Promise.reject(new Error('disk full')) : write(records));
    await expect(run(sink, { codes, batchSize: 2 })).rejects.toThrow('disk full');
    expect(sink.records.size).toBe(2);
  });

  it('reports a truncated JSON array', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.json');
    writeJsonArray(codes, [doc({ order_id: 'a', code: '1', zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') })]);
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(codes, readFileSync(codes, 'utf8').replace(/\]\n$/, ''));
    const { report, rejects } = await run(new InMemoryLegacyAssignmentSink(), { codes });
    expect(report).toMatchObject({ read: 2, imported: 1, rejected: 1 });
    expect(rejects).toEqual([expect.objectContaining({ reason: 'the JSON array is not closed (truncated file?)' })]);
  });
});

describe('importMongoDump, its temporary files', () => {
  it('gives each rejected element of a one-line JSON array its own text', async () => {
    const dir = tmpDir();
    const codes = join(dir, 'codes.json');
    const first = '{"order_id":"a","code":"1","zone_id":"svo_d","created":{"$date":"2026-11-26T09:59:00Z"}}';
    const second = '{"order_id":"a","code":"2","zone_id":"svo_d","created":{"$date":"2026-11-26T09:59:00Z"}}';
    const third = '{"order_id":"b","zone_id":"svo_d"}';
    writeFileSync(codes, `[${first},${second},${third}]`);
    const { report, rejects } = await run(new InMemoryLegacyAssignmentSink(), { codes });
    expect(report).toMatchObject({ read: 3, imported: 1, rejected: 2 });
    expect(rejects).toEqual([
      expect.objectContaining({ line: 1, order_id: 'a', raw: second }),
      expect.objectContaining({ line: 1, order_id: 'b', reason: 'code document without code', raw: third }),
    ]);
  });

  it('spills into a directory of its own under tempDir, removed after the run, also when it fails', async () => {
    const { codes, assignments } = writeDumps('lines+array');
    const temp = tmpDir();
    const during: string[][] = [];
    const look = (p: { phase: string }) => {
      if (p.phase === 'writing') during.push(readdirSync(temp));
    };
    await run(new InMemoryLegacyAssignmentSink(), { codes, assignments, tempDir: temp, onProgress: look });
    expect(during[0]).toEqual([expect.stringMatching(/^import-mongo-/)]);
    expect(readdirSync(temp)).toEqual([]);

    const failing = new InMemoryLegacyAssignmentSink();
    failing.write = () => Promise.reject(new Error('disk full'));
    await expect(run(failing, { codes, assignments, tempDir: temp })).rejects.toThrow('disk full');
    expect(readdirSync(temp)).toEqual([]);
  });
});

/** A store holding one imported active record `id` with `code` in svo_d. */
const importOne = async (id: string, code: string): Promise<InMemoryLegacyAssignmentSink> => {
  const dir = tmpDir();
  const codes = join(dir, 'codes.jsonl');
  writeJsonLines(codes, [doc({ order_id: id, code, zone_id: 'svo_d', created: at('2026-11-26T09:59:00Z') })]);
  const sink = new InMemoryLegacyAssignmentSink();
  await run(sink, { codes });
  return sink;
};
