import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from './logger';

/** A logger whose lines are kept, as they would be written. */
const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8').trimEnd());
      callback();
    },
  });
  return { lines, logger: createLogger({ transports: [new winston.transports.Stream({ stream })] }) };
};

describe('the log line', () => {
  it('is one JSON object: timestamp, level, message, then the fields in the order given', () => {
    const { lines, logger } = capture();
    logger.info('request', { request_id: 'r1', method: 'POST', route: '/v1/order/create', status: 200, duration_ms: 1.25 });
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(Object.keys(JSON.parse(line))).toEqual([
      'timestamp',
      'level',
      'message',
      'request_id',
      'method',
      'route',
      'status',
      'duration_ms',
    ]);
    expect(JSON.parse(line)).toMatchObject({ level: 'info', message: 'request', status: 200, duration_ms: 1.25 });
    expect(Date.parse((JSON.parse(line) as { timestamp: string }).timestamp)).not.toBeNaN();
  });

  it('still comes out for fields JSON cannot hold (a cycle, a bigint), and keeps an error’s stack', () => {
    const { lines, logger } = capture();
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    logger.warn('odd fields', { cycle, big: 10n });
    logger.error(new Error('boom'));
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      message: 'odd fields',
      big: '10',
      cycle: { a: 1, self: '[Circular]' },
    });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      level: 'error',
      message: 'boom',
      stack: expect.stringContaining('Error: boom'),
    });
  });

  it('leaves out what the level filters', () => {
    const { lines, logger } = capture();
    logger.level = 'warn';
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => (JSON.parse(l) as { message: string }).message)).toEqual(['loud']);
  });
});
