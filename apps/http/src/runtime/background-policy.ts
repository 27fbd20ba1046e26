import * as E from 'fp-ts/Either';
import { AREA_DEFAULTS, type DomainError, type OrderId, type UseCases } from '@codedispatch/core';
import type { EmbeddedHandler, RelayNotice, WorkerEvent } from '@codedispatch/processing-queue';
import type { ServiceConfigSource } from '../config/service-config';
import { errorFields, type Logger } from '../observability/logger';

/*
 * What the service's background work does beyond the library's worker: how
 * the embedded sink runs processing's lookup, how long failed entries are
 * kept, and what of it is logged. The composition root only wires these.
 */

/** The embedded sink: processing's lookup, run in-process as the service `embedded`. */
export const embeddedLookup =
  (dispatch: UseCases, logger: Logger): EmbeddedHandler =>
  async (event) => {
    const result = await dispatch.lookupDriver.execute({ orderId: event.order_id as OrderId, service: 'embedded' })();
    if (E.isRight(result)) return;
    // Nothing left to do for this event: the assignment moved on (or is gone).
    if (result.left.code === 'assignment_not_processing' || result.left.code === 'assignment_not_found') return;
    logger.warn('embedded lookup will be retried', {
      order_id: event.order_id,
      event_id: event.event_id,
      code: result.left.code,
    });
    throw new Error(`lookup failed: ${result.left.code}`);
  };

/** Failed entries are kept as long as any configured area's attempt window needs them, and a minute more. */
export const attemptsRetentionS = (config: ServiceConfigSource) => (): number =>
  Math.max(AREA_DEFAULTS.attemptsWindowS, ...Object.values(config.current().areas).map((a) => a.attemptsWindowS)) + 60;

/** A failed sweep as log fields: a domain error's code (and a storage failure's cause), or the exception. */
const sweepFailure = (error: unknown): Record<string, unknown> => {
  const domain = error as Partial<DomainError> | null;
  if (typeof domain?.code !== 'string') return errorFields(error);
  return {
    code: domain.code,
    ...(domain.code === 'storage_unavailable' ? errorFields((domain as { cause?: unknown }).cause) : {}),
  };
};

/** The worker's events in the log (the relay's notices are logged by `logRelayNotice`). */
export const logWorkerEvent =
  (logger: Logger) =>
  (event: WorkerEvent): void => {
    if (event.kind === 'swept') logger.info('sweep', { expired: event.expired, timed_out: event.timedOut });
    else if (event.kind === 'housekeeping_failed') logger.warn('housekeeping failed', errorFields(event.error));
    else if (event.kind === 'sweep_failed') logger.warn('sweep failed', sweepFailure(event.error));
  };

/** An undelivered event or a relay error, as a warning. */
export const logRelayNotice =
  (logger: Logger) =>
  (notice: RelayNotice): void => {
    if (notice.kind === 'failed')
      logger.warn('processing event not delivered', {
        event_id: notice.eventId,
        attempts: notice.attempts,
        dead: notice.dead,
        error: notice.error,
      });
    else if (notice.kind === 'error') logger.warn('outbox relay error', errorFields(notice.error));
    else if (notice.kind === 'sink_recovered') logger.info('event sink recovered', { hastened: notice.hastened });
  };
