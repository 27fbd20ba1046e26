import { createLogger } from '../observability/logger';
import { Background } from './background';
import type { Sweeper } from './sweeper';

const sweeper = { start: jest.fn(), stop: jest.fn(async () => undefined) } as unknown as Sweeper;
const longPoll = { shutdown: jest.fn(async () => undefined) };
const logger = createLogger({ level: 'error', silent: true });

describe('Background', () => {
  it('runs housekeeping at start, survives its failure, and stops it with the rest', async () => {
    const housekeeping = jest.fn(async () => {
      throw new Error('database down');
    });
    const background = new Background({ sweeper, longPoll, logger, housekeeping });
    await background.start();
    await new Promise((r) => setImmediate(r));
    expect(housekeeping).toHaveBeenCalledTimes(1);
    expect(sweeper.start).toHaveBeenCalled();
    await background.stop();
    expect(sweeper.stop).toHaveBeenCalled();
  });
});
