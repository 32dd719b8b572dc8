import { MAX_DEPTH, hostileInputErrors } from './hostile-input';

const nest = (depth: number): unknown => (depth === 1 ? {} : { a: nest(depth - 1) });

describe('hostileInputErrors (http/hostile-input.ts)', () => {
  it('accepts ordinary text, including characters outside the BMP written as surrogate pairs', () => {
    expect(hostileInputErrors({ communeName: 'Saint-Genis-les-Ollières', note: '😀 \ud83d\ude00', list: ['a', 1, null, true] })).toEqual(
      [],
    );
  });

  it('names a NUL and each kind of lone surrogate by its path, at the start, middle and end of the text', () => {
    const errors = hostileInputErrors({ a: '\u0000x', b: [{ c: 'x\ud800' }], d: '\udc00', e: 'x\ud800y', f: 'a\udfff\ud83d' });
    expect(errors.map((e) => [e.field, e.constraint])).toEqual([
      ['a', 'noNulCharacter'],
      ['b[0].c', 'wellFormedUnicode'],
      ['d', 'wellFormedUnicode'],
      ['e', 'wellFormedUnicode'],
      ['f', 'wellFormedUnicode'],
    ]);
  });

  it('names a bad key quoted and escaped, and the reserved keys at any depth, without walking into them', () => {
    const body = JSON.parse('{"k\\u0000":1,"__proto__":{"x":"\\u0000"},"a":{"constructor":1,"b":[{"prototype":2}]}}');
    expect(hostileInputErrors(body).map((e) => [e.field, e.constraint])).toEqual([
      ['["k\\u0000"]', 'noNulCharacter'],
      ['__proto__', 'reservedKey'],
      ['a.constructor', 'reservedKey'],
      ['a.b[0].prototype', 'reservedKey'],
    ]);
  });

  it(`accepts ${MAX_DEPTH} levels of nesting and refuses ${MAX_DEPTH + 1}, naming where it goes too deep`, () => {
    expect(hostileInputErrors(nest(MAX_DEPTH))).toEqual([]);
    const errors = hostileInputErrors(nest(MAX_DEPTH + 1));
    expect(errors).toEqual([{ field: Array(MAX_DEPTH).fill('a').join('.'), message: expect.any(String), constraint: 'maxDepth' }]);
  });

  it('names a parameter by the name it is given, and a bare value as `body`', () => {
    expect(hostileInputErrors('69123-1\u0000', 'id')).toEqual([expect.objectContaining({ field: 'id', constraint: 'noNulCharacter' })]);
    expect(hostileInputErrors({ actor: '\u0000' })).toEqual([expect.objectContaining({ field: 'actor' })]);
    expect(hostileInputErrors('\u0000')).toEqual([expect.objectContaining({ field: 'body' })]);
  });
});
