import { splitJsonArray, DumpFormatError, type DumpElement } from './json-array-splitter';

/** Feeds the text in chunks of `size` characters (1 = every boundary). */
async function* chunks(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

const split = async (text: string, size = 1): Promise<DumpElement[]> => {
  const out: DumpElement[] = [];
  for await (const e of splitJsonArray(chunks(text, size))) out.push(e);
  return out;
};

describe('splitJsonArray', () => {
  const tricky =
    '[\n  {\n    "a": "} ] , [ {",\n    "b": "say \\"}\\" \\\\",\n    "c": [1, {"d": "]"}]\n  },\n  {"e": "\\\\\\""}\n]\n';

  it.each([1, 3, 7, 1024])('cuts out each element with its first line (chunks of %i)', async (size) => {
    const elements = await split(tricky, size);
    expect(elements).toEqual([
      { line: 2, text: '{\n    "a": "} ] , [ {",\n    "b": "say \\"}\\" \\\\",\n    "c": [1, {"d": "]"}]\n  }' },
      { line: 7, text: '{"e": "\\\\\\""}' },
    ]);
    expect(elements.map((e) => JSON.parse(e.text) as unknown)).toEqual([
      { a: '} ] , [ {', b: 'say "}" \\', c: [1, { d: ']' }] },
      { e: '\\"' },
    ]);
  });

  it('handles one-line arrays, empty arrays, a BOM and top-level values that are not documents', async () => {
    expect(await split('\ufeff[{"a":1},{"b":2}]', 4)).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 1, text: '{"b":2}' },
    ]);
    expect(await split('[]\n')).toEqual([]);
    expect(await split('[\n1,\n"x]",\nnull\n]')).toEqual([
      { line: 2, text: '1' },
      { line: 3, text: '"x]"' },
      { line: 4, text: 'null' },
    ]);
  });

  it('keeps a malformed but balanced element whole, for the parser to reject', async () => {
    expect(await split('[\n{"a": oops},\n{"b": 1}\n]')).toEqual([
      { line: 2, text: '{"a": oops}' },
      { line: 3, text: '{"b": 1}' },
    ]);
  });

  it('reports a truncated array and content after it as defects with their line', async () => {
    expect(await split('[\n{"a": 1},\n{"b": ', 5)).toEqual([
      { line: 2, text: '{"a": 1}' },
      { line: 3, text: '{"b":' },
      { line: 3, text: 'the JSON array is not closed (truncated file?)', defect: true },
    ]);
    expect(await split('[{"a": 1}]\n\n{"b": 2}\n')).toEqual([
      { line: 1, text: '{"a": 1}' },
      { line: 3, text: 'content after the end of the JSON array', defect: true },
    ]);
  });

  it('refuses a text that is not an array', async () => {
    await expect(split('{"a": 1}')).rejects.toBeInstanceOf(DumpFormatError);
    await expect(split('  \n')).rejects.toThrow('not a JSON array');
  });
});
