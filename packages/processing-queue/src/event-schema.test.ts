import { makeEvent, processingEventProblems } from './__tests__/support';

/* The published JSON Schema of the processing event (schemas/processing-event.schema.json) refuses what is not one. */

describe('the processing event schema', () => {
  const event = makeEvent('o1', 2);

  it('accepts an event', () => {
    expect(processingEventProblems(event)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['without its event_id', { ...event, event_id: undefined }],
    ['with an event_id that is not a UUID', { ...event, event_id: 'e1' }],
    ['of another type', { ...event, type: 'code_dispatch.other' }],
    ['with attempt 0', { ...event, attempt: 0 }],
    ['with a time without milliseconds', { ...event, occurred_at: '2026-11-26T10:00:00Z' }],
    ['with a field it does not have', { ...event, extra: 1 }],
    ['with an empty order_id', { ...event, order_id: '' }],
  ])('refuses an event %s', (_what, candidate) => {
    expect(processingEventProblems(JSON.parse(JSON.stringify(candidate)))).not.toEqual([]);
  });
});
