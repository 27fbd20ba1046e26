/*
 * The long-poll loader's HTTP/1.1: it writes requests as bytes on plain
 * sockets and reads the answers here, the cheapest client there is.
 */

/** A parsed HTTP/1.1 response, or null while it is incomplete. */
export interface RawResponse {
  readonly status: number;
  readonly body: string;
  /** Bytes of the buffer it took. */
  readonly length: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Reads one response from the start of `buf` (Content-Length or chunked), or null until it is complete. */
export const parseResponse = (buf: Buffer): RawResponse | null => {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0) return null;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const start = headEnd + 4;
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length !== null) {
    const end = start + Number(length[1]);
    return buf.length < end ? null : { status, body: buf.toString('utf8', start, end), length: end };
  }
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) return { status, body: '', length: start };
  const parts: Buffer[] = [];
  for (let at = start; ;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
    // The last chunk: "0\r\n\r\n" (no trailers from an HTTP server here).
    if (size === 0)
      return buf.length < lineEnd + 4 ? null : { status, body: Buffer.concat(parts).toString('utf8'), length: lineEnd + 4 };
    if (buf.length < lineEnd + 2 + size + 2) return null;
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
};
