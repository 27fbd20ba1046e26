import Ajv2020 from 'ajv/dist/2020';
import * as E from 'fp-ts/Either';
import type * as t from 'io-ts';
import { openApiDocument } from './openapi';
import { AssignBody, CancelOrderBody, CreateOrderBody, DriversLookupBody, schemaOf, StatusQuery } from './requests';

/*
 * The requests' JSON Schemas are written beside the codecs and the OpenAPI
 * document is made from them; here the two are held against each other: what
 * the schema accepts the codec accepts, and the other way round, but for the
 * rules JSON Schema cannot say (listed, and said in the descriptions).
 */

const ajv = new Ajv2020({ strict: false, allErrors: true });

const agree = (codec: t.Any, input: unknown): { readonly codec: boolean; readonly schema: boolean } => ({
  codec: E.isRight(codec.decode(input)),
  schema: ajv.validate(schemaOf(codec), input),
});

const id128 = 'x'.repeat(128);

describe('request schemas and codecs', () => {
  it('the OpenAPI document carries the codecs own schemas', () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, unknown> } };
    expect(doc.components.schemas['CreateOrderRequest']).toBe(schemaOf(CreateOrderBody));
    expect(doc.components.schemas['CancelOrderRequest']).toBe(schemaOf(CancelOrderBody));
    expect(doc.components.schemas['AssignRequest']).toBe(schemaOf(AssignBody));
    expect(doc.components.schemas['DriversLookupRequest']).toBe(schemaOf(DriversLookupBody));
  });

  it.each<[string, t.Any, unknown, boolean]>([
    ['a create', CreateOrderBody, { order_id: 'o1', area_id: 'svo_d' }, true],
    ['a create with every field', CreateOrderBody, { order_id: 'o1', area_id: 'a', user_id: 'u', locale: 'pt_BR' }, true],
    ['optional fields given as null', CreateOrderBody, { order_id: 'o1', area_id: 'a', user_id: null, locale: null }, true],
    ['an id of 128 characters', CreateOrderBody, { order_id: id128, area_id: 'a' }, true],
    ['an id of 129', CreateOrderBody, { order_id: `${id128}x`, area_id: 'a' }, false],
    ['an empty id', CreateOrderBody, { order_id: '', area_id: 'a' }, false],
    ['a number for an id', CreateOrderBody, { order_id: 7, area_id: 'a' }, false],
    ['no area', CreateOrderBody, { order_id: 'o1' }, false],
    ['a null area', CreateOrderBody, { order_id: 'o1', area_id: null }, false],
    ['a locale that is not a tag', CreateOrderBody, { order_id: 'o1', area_id: 'a', locale: 'en gb' }, false],
    ['not an object', CreateOrderBody, ['o1'], false],
    ['a cancel with a reason', CancelOrderBody, { order_id: 'o1', reason: 'changed plans' }, true],
    ['a reason too long', CancelOrderBody, { order_id: 'o1', reason: 'r'.repeat(1001) }, false],
    ['an entry with a wait', AssignBody, { area_id: 'a', code: '482 918', wait_ms: 20_000 }, true],
    ['a negative wait', AssignBody, { area_id: 'a', code: '482918', wait_ms: -1 }, false],
    ['a fractional wait', AssignBody, { area_id: 'a', code: '482918', wait_ms: 1.5 }, false],
    ['a code too long', AssignBody, { area_id: 'a', code: '1'.repeat(65) }, false],
    ['a lookup', DriversLookupBody, { order_id: 'o1' }, true],
    ['a status query', StatusQuery, { order_id: 'o1', wait_ms: '5000' }, true],
    ['a status query wait that is not digits', StatusQuery, { order_id: 'o1', wait_ms: '5s' }, false],
  ])('%s: the codec and the schema agree', (_what, codec, input, valid) => {
    expect(agree(codec, input)).toEqual({ codec: valid, schema: valid });
  });

  it.each<[string, t.Any, unknown]>([
    ['an id with surrounding spaces', CreateOrderBody, { order_id: ' o1', area_id: 'a' }],
    ['an id with a control character', CreateOrderBody, { order_id: 'o\n1', area_id: 'a' }],
    ['a code with NUL', AssignBody, { area_id: 'a', code: '48\u00002918' }],
  ])('%s: refused by the codec; beyond JSON Schema, said in the description', (_what, codec, input) => {
    expect(agree(codec, input)).toEqual({ codec: false, schema: true });
  });
});
