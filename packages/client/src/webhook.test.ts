import { SIGNATURE_HEADER as SINK_HEADER, webhookSignature } from '@codedispatch/processing-queue';
import { SIGNATURE_HEADER, verifyEventSignature } from './index';
import { verifyEventSignature as fromSubpath } from './webhook';

const SECRET = 'webhook-secret-0123';
const body = JSON.stringify({ type: 'code_entered', order_id: 'o1', attempt: 1 });

describe('verifyEventSignature', () => {
  it('accepts what the webhook sink signs, for the body as text and as bytes, from the root and the subpath', () => {
    const header = webhookSignature(body, SECRET);
    expect(verifyEventSignature(body, header, SECRET)).toBe(true);
    expect(verifyEventSignature(new TextEncoder().encode(body), header, SECRET)).toBe(true);
    expect(fromSubpath(Buffer.from(body), header, SECRET)).toBe(true);
    expect(SIGNATURE_HEADER).toBe(SINK_HEADER);
  });

  it.each([
    ['another secret', webhookSignature(body, 'other-secret')],
    ['another body', webhookSignature(`${body} `, SECRET)],
    ['no header', undefined],
    ['an empty header', ''],
    ['the bare hex', webhookSignature(body, SECRET).slice('sha256='.length)],
    ['upper-case hex', webhookSignature(body, SECRET).toUpperCase()],
    ['a truncated signature', webhookSignature(body, SECRET).slice(0, -1)],
  ])('refuses %s', (_name, header) => {
    expect(verifyEventSignature(body, header, SECRET)).toBe(false);
  });
});
