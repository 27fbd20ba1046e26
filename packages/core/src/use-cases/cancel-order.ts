import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import { isActive, type Assignment } from '../domain/assignment';
import type { OrderId } from '../domain/ids';
import { transition } from '../domain/transition';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource } from '../ports';
import { MAX_CONFLICT_RETRIES, settle, useCase } from './shared';

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
    return useCase(async () => {
      for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
        const found = await this.repository.findByOrder(input.orderId);
        if (found === null) return E.left({ code: 'assignment_not_found' });
        const now = this.clock.now();
        const a = await settle(this.repository, this.config.current(), found, now);
        if (a.status === 'assigned') return E.left({ code: 'order_already_assigned' });
        if (!isActive(a)) return E.right(a);

        const moved = transition(
          a,
          { type: 'cancelled', by: input.service, ...(input.reason !== undefined ? { reason: input.reason } : {}) },
          now,
        );
        if (E.isLeft(moved)) return E.left({ code: 'illegal_transition', from: a.status, event: 'cancelled' });
        const outcome = await this.repository.applyTransition({
          expectedVersion: a.version,
          next: moved.right.assignment,
          change: moved.right.change,
        });
        if (outcome.kind === 'applied') return E.right(outcome.assignment);
      }
      return E.left({ code: 'storage_unavailable', cause: new Error('the assignment kept changing during the cancel') });
    });
  }
}
