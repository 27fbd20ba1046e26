import { join } from 'node:path';
import { tmpDir } from './__tests__/fixtures';
import { mergeBySeq, readSpill, SpillWriter } from './spill';

describe('SpillWriter and readSpill', () => {
  it('read back every line as written, characters of several bytes across the read chunks included', () => {
    const path = join(tmpDir(), 'spill');
    // Lines of 1-, 2-, 3- and 4-byte characters, long enough that the 64 KiB chunks cut through some of them.
    const lines = Array.from({ length: 5000 }, (_, i) => `${i}:${'aé€😀'.repeat(i % 40)}`);
    lines.push('', 'last');
    const writer = new SpillWriter(path);
    for (const line of lines) writer.line(line);
    writer.close();
    expect(writer.lines).toBe(lines.length);
    expect([...readSpill(path)]).toEqual(lines);
  });

  it('refuses to write over a file', () => {
    const path = join(tmpDir(), 'spill');
    new SpillWriter(path).close();
    expect(() => new SpillWriter(path)).toThrow('EEXIST');
  });
});

describe('mergeBySeq', () => {
  it('merges sources in seq order, keeping the order of one source for equal seqs', () => {
    const source = (items: [number, string][]) => items.map(([seq, name]) => ({ seq, name }))[Symbol.iterator]();
    const merged = [
      ...mergeBySeq([
        source([
          [1, 'a1'],
          [4, 'a4'],
          [4, 'a4 again'],
          [9, 'a9'],
        ]),
        source([]),
        source([
          [0, 'b0'],
          [5, 'b5'],
        ]),
        source([
          [2, 'c2'],
          [3, 'c3'],
          [10, 'c10'],
        ]),
      ]),
    ].map((x) => x.name);
    expect(merged).toEqual(['b0', 'a1', 'c2', 'c3', 'a4', 'a4 again', 'b5', 'a9', 'c10']);
  });

  it('gives nothing for no sources', () => {
    expect([...mergeBySeq([])]).toEqual([]);
  });
});
