import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a processing webhook carries: `sha256=<lowercase hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'X-Codedispatch-Signature';

/**
 * Checks a processing webhook's `X-Codedispatch-Signature` against the raw body
 * (the bytes as received, before any JSON parsing) in constant time. A missing
 * or malformed header is `false`, never an exception.
 */
export const verifyEventSignature = (rawBody: string | Uint8Array, header: string | undefined, secret: string): boolean => {
  if (header === undefined) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`);
  const received = Buffer.from(header);
  return received.length === expected.length && timingSafeEqual(received, expected);
};
