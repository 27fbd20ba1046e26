import { readFileSync } from 'node:fs';
import { testConfig } from '@codedispatch/core/testing';
import { tmpDir } from '../__tests__/fixtures';
import { importMongoDump } from '../import';
import { InMemoryLegacyAssignmentSink } from '../in-memory-sink';
import { generateDump } from './generate-dump';

describe('generateDump', () => {
  it('writes n valid documents that import without a reject or a conflict', async () => {
    const now = new Date('2026-11-26T10:00:00.000Z');
    const dump = await generateDump(tmpDir(), 2001, { prefix: 'b-', now });
    expect(dump.codeDocuments + dump.assignmentDocuments).toBe(2001);
    expect(readFileSync(dump.codes, 'utf8').trim().split('\n')).toHaveLength(dump.codeDocuments);

    const sink = new InMemoryLegacyAssignmentSink();
    const report = await importMongoDump({ codes: dump.codes, assignments: dump.assignments, sink, config: testConfig(), now });
    expect(report).toMatchObject({
      read: 2001,
      imported: dump.codeDocuments,
      merged: dump.assignmentDocuments,
      rejected: 0,
      skipped: 0,
    });
    const statuses = new Set([...sink.records.values()].map((r) => `${r.status}:${r.errorCode ?? ''}`));
    expect([...statuses].sort()).toEqual([
      'assigned:',
      'error:driver_busy',
      'error:expired',
      'error:order_cancelled',
      'error:processing_timeout',
      'pending:',
      'processing:',
    ]);
  });
});
