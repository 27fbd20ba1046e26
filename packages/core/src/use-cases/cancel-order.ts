import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import { isActive, type Assignment } from '../domain/assignment';
import type { OrderId } from '../domain/ids';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource } from '../ports';
import { changeOrder } from './change-record';
import { useCase } from './shared';

export interface CancelOrder {
  readonly orderId: OrderId;
  readonly reason?: string;
  /** The calling service, for the change log. */
  readonly service: string;
}

/**
 * The passenger or the order system cancels (SPEC §6, cancel). Idempotent:
 * an order already cancelled or expired is answered as it is.
 */
export class CancelOrderUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
  ) {}

  execute(input: CancelOrder): TE.TaskEither<DomainError, Assignment> {
    return useCase(() =>
      changeOrder({ repository: this.repository, config: this.config, clock: this.clock }, input.orderId, (a) => {
        if (a.status === 'assigned') return { kind: 'answer', result: E.left({ code: 'order_already_assigned' }) };
        if (!isActive(a)) return { kind: 'answer', result: E.right(a) };
        return {
          kind: 'move',
          event: { type: 'cancelled', by: input.service, ...(input.reason !== undefined ? { reason: input.reason } : {}) },
          answer: (moved) => moved,
        };
      }),
    );
  }
}
