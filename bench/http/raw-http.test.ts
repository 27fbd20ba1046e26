import { parseResponse } from './raw-http';

const response = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('parseResponse (the long-poll loader reads raw HTTP/1.1)', () => {
  const ok = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{"status":"assigned"}';

  it('reads a response with Content-Length, and how many bytes it took', () => {
    expect(parseResponse(response(ok))).toEqual({ status: 200, body: '{"status":"assigned"}', length: ok.length });
  });

  it('waits while the head or the body is incomplete', () => {
    expect(parseResponse(response(ok.slice(0, 30)))).toBeNull();
    expect(parseResponse(response(ok.slice(0, -1)))).toBeNull();
  });

  it('leaves a following response in the buffer', () => {
    const two = response(ok + ok);
    const first = parseResponse(two);
    expect(first?.length).toBe(ok.length);
    expect(parseResponse(two.subarray(first?.length))).toEqual({ status: 200, body: '{"status":"assigned"}', length: ok.length });
  });

  it('counts the body in bytes, not characters', () => {
    const body = '{"message":"Код"}';
    const text = `HTTP/1.1 404 Not Found\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    expect(parseResponse(response(text))).toEqual({ status: 404, body, length: Buffer.byteLength(text) });
  });

  it('reads a chunked body, and waits for its last chunk', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n3\r\n"b"\r\n1\r\n}\r\n0\r\n\r\n';
    expect(parseResponse(response(text))).toEqual({ status: 200, body: '{"a":"b"}', length: text.length });
    expect(parseResponse(response(text.slice(0, -2)))).toBeNull();
  });
});
