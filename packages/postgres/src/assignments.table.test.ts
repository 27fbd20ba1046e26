import { areaId, driver, orderId, type Assignment } from '@codedispatch/core';
import { assignmentToCopyRow, assignmentToRow, COPY_COLUMNS } from './assignments.table';

const T0 = new Date('2026-11-26T10:00:00.000Z');

/** One line of COPY's text format → its fields (null for \N), unescaped. */
const readCopyLine = (line: string): (string | null)[] => {
  expect(line.endsWith('\n')).toBe(true);
  return line
    .slice(0, -1)
    .split('\t')
    .map((field) =>
      field === '\\N'
        ? null
        : field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' })[c] ?? `\\${c}`),
    );
};

/** `assignmentToRow`'s row as the text PostgreSQL reads each column from. */
const rowAsText = (a: Assignment): (string | null)[] => {
  const row = assignmentToRow(a);
  return COPY_COLUMNS.map((column) => {
    const value = row[column];
    if (value === null || value === undefined) return null;
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'boolean') return value ? 't' : 'f';
    return String(value);
  });
};

describe('assignmentToCopyRow', () => {
  const odd = 'a\tb\nc\\d\re"f\\N';
  const records: Assignment[] = [
    {
      orderId: orderId('o1'),
      areaId: areaId('svo_d'),
      code: '482913',
      status: 'pending',
      errorCode: null,
      driver: null,
      userId: null,
      createdAt: T0,
      updatedAt: T0,
      expiresAt: new Date(T0.getTime() + 1_800_000),
      releasedAt: null,
      attempt: 0,
      legacy: true,
      version: 1,
      changes: [{ at: T0, from: null, to: 'pending', actor: { kind: 'system' }, reason: 'imported' }],
    },
    {
      orderId: orderId(`o2 ${odd}`),
      areaId: areaId(`area ${odd}`),
      code: `X${odd}`,
      status: 'error',
      errorCode: 'order_cancelled',
      driver: driver(`park ${odd}`, `driver ${odd}`),
      userId: `user ${odd}`,
      createdAt: T0,
      updatedAt: T0,
      expiresAt: T0,
      releasedAt: T0,
      attempt: 3,
      legacy: false,
      version: 7,
      changes: [
        { at: T0, from: null, to: 'pending', actor: { kind: 'service', name: `svc ${odd}` } },
        { at: T0, from: 'pending', to: 'error', actor: { kind: 'system' }, errorCode: 'order_cancelled', reason: odd },
      ],
    },
  ];

  it.each(records.map((r) => [r.orderId, r] as const))('writes the row of assignmentToRow, escaped: %j', (_, record) => {
    expect(readCopyLine(assignmentToCopyRow(record))).toEqual(rowAsText(record));
  });
});
