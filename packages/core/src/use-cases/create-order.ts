import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import type { Assignment } from '../domain/assignment';
import type { AreaId, OrderId, UserId } from '../domain/ids';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource, Experiments } from '../ports';
import { type CodeIssuer } from './issue-code';
import { settle } from './change-record';
import { enabledArea, secondsLater, useCase } from './shared';

export interface CreateOrder {
  readonly orderId: OrderId;
  readonly areaId: AreaId;
  readonly userId: UserId | null;
  /** The calling service, for the change log. */
  readonly service: string;
}

/**
 * Issues a code for an order (SPEC §6, create). Idempotent by order_id: a
 * retry gets the record as it is now, without the area or experiment checks.
 */
export class CreateOrderUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly experiments: Experiments,
    private readonly issuer: CodeIssuer,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
  ) {}

  execute(input: CreateOrder): TE.TaskEither<DomainError, Assignment> {
    return useCase(async () => {
      const config = this.config.current();
      // A retry is answered before the area and the experiment are checked
      // (SPEC §6), but the common case is a new order: the insert tells when
      // the order exists, and only a refusal reads the record first.
      const refused = async (e: DomainError): Promise<E.Either<DomainError, Assignment>> => {
        const existing = await this.repository.findByOrder(input.orderId);
        return existing !== null ? this.retried(existing, input) : E.left(e);
      };
      const area = enabledArea(config, input.areaId);
      if (E.isLeft(area)) return refused(area.left);
      const on = await this.experiments.isCodeDispatchEnabled(input.areaId, input.userId ?? input.orderId);
      if (!on) return refused({ code: 'code_dispatch_disabled', areaId: input.areaId });

      const now = this.clock.now();
      const issued = await this.issuer.issue(area.right, {
        orderId: input.orderId,
        areaId: input.areaId,
        userId: input.userId,
        createdAt: now,
        expiresAt: secondsLater(now, area.right.orderExpireS),
        actor: { kind: 'service', name: input.service },
      });
      if (E.isLeft(issued)) return refused(issued.left);
      // Lost a race with a concurrent create of the same order: answer like a retry.
      return issued.right.kind === 'order_exists'
        ? this.retried(issued.right.assignment, input)
        : E.right(issued.right.assignment);
    });
  }

  private async retried(existing: Assignment, input: CreateOrder): Promise<E.Either<DomainError, Assignment>> {
    if (existing.areaId !== input.areaId) {
      return E.left({ code: 'order_exists_in_other_area', orderId: input.orderId, areaId: existing.areaId });
    }
    return settle({ repository: this.repository, config: this.config, clock: this.clock }, existing);
  }
}
