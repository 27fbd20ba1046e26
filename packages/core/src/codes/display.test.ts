import { DEFAULT_GENERATOR, type GeneratorSettings } from '../config/config';
import { displayCode } from './display';

const settings = (over: Partial<GeneratorSettings>): GeneratorSettings => ({ ...DEFAULT_GENERATOR, ...over });

describe('displayCode', () => {
  it.each<[string, readonly number[], string]>([
    ['482918', [3, 3], '482 918'],
    ['48291', [3, 2], '482 91'],
    ['ABCD1234', [4, 4], 'ABCD 1234'],
    ['ABCDEFGH', [2, 3, 3], 'AB CDE FGH'],
    ['482918', [6], '482918'],
  ])('shows %p in groups %p as %p', (code, group, shown) => {
    expect(displayCode(settings({ group, length: code.length }), code)).toBe(shown);
  });

  it.each<[string, readonly number[]]>([
    ['48291', [3, 3]],
    ['4829180', [3, 3]],
    ['', [3, 3]],
    ['482918', []],
    ['482918', [6, 0]],
    ['482918', [2.5, 3.5]],
  ])('shows %p as it is when the groups %p do not fit it', (code, group) => {
    expect(displayCode(settings({ group }), code)).toBe(code);
  });
});
