import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import type { Assignment } from '../domain/assignment';
import { driverView, type DriverView } from '../domain/driver-view';
import type { Driver, OrderId } from '../domain/ids';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource } from '../ports';
import { settle } from './change-record';
import { useCase } from './shared';

export interface DriverStatus {
  readonly orderId: OrderId;
  readonly driver: Driver;
}

export type VisibleDriverView = Exclude<DriverView, { kind: 'none' }> & { readonly orderId: OrderId };

/** Where the use case takes the record from: the repository, or a read shared by several calls. */
export type FindRecord = (orderId: OrderId) => Promise<Assignment | null>;

/** What this driver may see of an order (SPEC §6, status); others get `assignment_not_found`. */
export class DriverStatusUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
  ) {}

  /**
   * `find` replaces the repository's read: long-polls share one read of an
   * order among their calls. The record is settled at the clock's now either way.
   */
  execute(
    input: DriverStatus,
    find: FindRecord = (id) => this.repository.findByOrder(id),
  ): TE.TaskEither<DomainError, VisibleDriverView> {
    return useCase(async () => {
      const config = this.config.current();
      if (!config.processingEnabled) return E.left({ code: 'processing_disabled' });
      const found = await find(input.orderId);
      if (found === null) return E.left({ code: 'assignment_not_found' });
      const settled = await settle({ repository: this.repository, config: this.config, clock: this.clock }, found);
      if (E.isLeft(settled)) return settled;
      const view = driverView(settled.right, input.driver);
      return view.kind === 'none' ? E.left({ code: 'assignment_not_found' }) : E.right({ ...view, orderId: input.orderId });
    });
  }
}
