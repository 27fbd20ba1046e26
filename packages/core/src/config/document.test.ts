import * as E from 'fp-ts/Either';
import { NonEmptyString, concealed, strictStruct } from './document';
import { reportErrors } from './report';

describe('document building blocks', () => {
  const Section = strictStruct('section', { token: concealed(NonEmptyString) }, {});

  it('a concealed value is reported by kind and length, never by value', () => {
    for (const token of [73914820, ['gw-0042'], { s: 'tr-5566' }]) {
      const result = Section.decode({ token });
      if (E.isRight(result)) throw new Error('expected issues');
      const text = JSON.stringify(reportErrors(result.left));
      expect(text).toContain('value not shown');
      expect(text).not.toMatch(/73914820|gw-0042|tr-5566/);
    }
    const empty = Section.decode({ token: '' });
    expect(E.isLeft(empty) && reportErrors(empty.left)).toEqual([{ path: 'token', message: 'must not be empty' }]);
  });

  it('a strict struct names unknown and missing keys', () => {
    const result = Section.decode({ tokn: 'x' });
    expect(E.isLeft(result) && reportErrors(result.left).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'tokn: unknown key',
      'token: required',
    ]);
  });
});
