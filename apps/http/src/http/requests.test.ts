import * as E from 'fp-ts/Either';
import { AssignBody, CreateOrderBody, decodeRequest, StatusQuery, CancelOrderBody } from './requests';

const issues = (r: E.Either<readonly { path: string; message: string }[], unknown>) =>
  E.isLeft(r) ? r.left.map((i) => i.path) : [];

describe('request codecs', () => {
  it('decodes a create body, ignoring unknown fields and null optionals', () => {
    expect(decodeRequest(CreateOrderBody, { order_id: 'o1', area_id: 'svo_d', user_id: null, extra: 1 })).toEqual(
      E.right({ order_id: 'o1', area_id: 'svo_d' }),
    );
  });

  it('names every offending field', () => {
    expect(
      issues(decodeRequest(CreateOrderBody, { order_id: '', area_id: 7, user_id: 'x'.repeat(129), locale: 'not a locale' })),
    ).toEqual(['order_id', 'area_id', 'user_id', 'locale']);
    expect(issues(decodeRequest(CreateOrderBody, {}))).toEqual(['order_id', 'area_id']);
  });

  it('wants a JSON object', () => {
    for (const body of [undefined, null, [], 'x', 3]) expect(issues(decodeRequest(CreateOrderBody, body))).toEqual(['']);
  });

  it('refuses NUL, control characters and lone surrogates in ids, codes and reasons', () => {
    expect(issues(decodeRequest(CreateOrderBody, { order_id: 'a\u0000b', area_id: 'svo_d' }))).toEqual(['order_id']);
    expect(issues(decodeRequest(CreateOrderBody, { order_id: 'a\nb', area_id: 'svo_d' }))).toEqual(['order_id']);
    expect(issues(decodeRequest(CreateOrderBody, { order_id: 'a\ud800', area_id: 'svo_d' }))).toEqual(['order_id']);
    expect(issues(decodeRequest(AssignBody, { area_id: 'svo_d', code: '123\u0000' }))).toEqual(['code']);
    expect(issues(decodeRequest(AssignBody, { area_id: 'svo_d', code: '1'.repeat(65) }))).toEqual(['code']);
    expect(issues(decodeRequest(CancelOrderBody, { order_id: 'o', reason: 'r'.repeat(1001) }))).toEqual(['reason']);
    expect(E.isRight(decodeRequest(CancelOrderBody, { order_id: 'o', reason: 'line one\nline two' }))).toBe(true);
  });

  it('takes wait_ms as a non-negative integer, clamped to 10 s', () => {
    expect(decodeRequest(AssignBody, { area_id: 'a', code: '1', wait_ms: 60000 })).toEqual(
      E.right({ area_id: 'a', code: '1', wait_ms: 10000 }),
    );
    for (const wait of [-1, 1.5, '100', true])
      expect(issues(decodeRequest(AssignBody, { area_id: 'a', code: '1', wait_ms: wait }))).toEqual(['wait_ms']);
    expect(decodeRequest(StatusQuery, { order_id: 'o', wait_ms: '250' })).toEqual(E.right({ order_id: 'o', wait_ms: 250 }));
    for (const wait of ['-1', '1.5', '1e3', ' 1', '', ['1', '2']])
      expect(issues(decodeRequest(StatusQuery, { order_id: 'o', wait_ms: wait }))).toEqual(['wait_ms']);
  });

  it('reads own fields only', () => {
    const body = JSON.parse('{"__proto__": {"order_id": "x"}, "area_id": "svo_d"}') as unknown;
    expect(issues(decodeRequest(CreateOrderBody, body))).toEqual(['order_id']);
  });
});
