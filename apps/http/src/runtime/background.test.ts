import { createLogger } from '../observability/logger';
import { Background } from './background';

const logger = createLogger({ level: 'error', silent: true });

describe('Background', () => {
  it('starts the worker, and at stop stops it before closing the sink, even when the worker fails to stop', async () => {
    const calls: string[] = [];
    const worker = {
      start: jest.fn(async () => void calls.push('worker start')),
      stop: jest.fn(async () => {
        calls.push('worker stop');
        throw new Error('relay flush failed');
      }),
    };
    const sink = { deliver: jest.fn(), close: jest.fn(async () => void calls.push('sink close')) };
    const longPoll = { shutdown: jest.fn(async () => undefined) };
    const background = new Background({ worker, longPoll, logger, sink });
    await background.start();
    await background.start();
    expect(worker.start).toHaveBeenCalledTimes(1);
    await background.stop();
    expect(calls).toEqual(['worker start', 'worker stop', 'sink close']);
  });
});
