import * as E from 'fp-ts/Either';
import { createUseCases } from '../code-dispatch';
import { areaId, driver, orderId } from '../domain/ids';
import {
  areaSettings,
  FixedClock,
  FixedExperiments,
  InMemoryAssignmentRepository,
  InMemoryDriverTracker,
  SeededCodeRandom,
  StaticConfigSource,
  testConfig,
} from '../testing';

/*
 * Cancel and lookup read, settle, decide and write through one helper
 * (`changeOrder`): a lost write is decided afresh, and a record that keeps
 * changing gets the same answer from both.
 */

const setup = () => {
  const repository = new InMemoryAssignmentRepository();
  const useCases = createUseCases({
    repository,
    tracker: new InMemoryDriverTracker(),
    experiments: new FixedExperiments(true),
    clock: new FixedClock(),
    random: new SeededCodeRandom(1),
    config: new StaticConfigSource(testConfig({ areas: [areaSettings('svo_d')] })),
  });
  return { repository, useCases };
};

/** The use cases, with order o1 in processing (its code entered by driver p/d). */
const withProcessingOrder = async () => {
  const { repository, useCases } = setup();
  const created = await useCases.createOrder.execute({
    orderId: orderId('o1'),
    areaId: areaId('svo_d'),
    userId: null,
    service: 's',
  })();
  if (E.isLeft(created)) throw new Error(created.left.code);
  await useCases.enterCode.execute({ areaId: areaId('svo_d'), typedCode: created.right.code, driver: driver('p', 'd') })();
  return { repository, useCases };
};

describe('changeOrder, through cancel and lookup', () => {
  it('answers storage_unavailable for a record that keeps changing, after the retries, from both', async () => {
    const { repository, useCases } = await withProcessingOrder();
    let writes = 0;
    repository.applyTransition = async () => {
      writes++;
      return { kind: 'conflict' };
    };
    const lookup = await useCases.lookupDriver.execute({ orderId: orderId('o1'), service: 'processing' })();
    const cancel = await useCases.cancelOrder.execute({ orderId: orderId('o1'), service: 's' })();
    for (const result of [lookup, cancel]) {
      expect(E.isLeft(result) && result.left.code).toBe('storage_unavailable');
      expect(E.isLeft(result) && result.left.code === 'storage_unavailable' && String(result.left.cause)).toContain(
        'order o1 kept changing: 8 writes lost',
      );
    }
    expect(writes).toBe(16);
  });

  it('decides again after a lost write: a cancel that lost to an assignment answers order_already_assigned', async () => {
    const { repository, useCases } = await withProcessingOrder();
    const apply = repository.applyTransition.bind(repository);
    let first = true;
    repository.applyTransition = async (write) => {
      if (first) {
        first = false;
        // The lookup lands between the cancel's read and its write.
        const looked = await useCases.lookupDriver.execute({ orderId: orderId('o1'), service: 'processing' })();
        expect(E.isRight(looked)).toBe(true);
        return { kind: 'conflict' };
      }
      return apply(write);
    };
    const cancel = await useCases.cancelOrder.execute({ orderId: orderId('o1'), service: 's' })();
    expect(E.isLeft(cancel) && cancel.left.code).toBe('order_already_assigned');
  });
});
