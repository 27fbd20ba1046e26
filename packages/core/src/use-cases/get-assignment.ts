import * as E from 'fp-ts/Either';
import type * as TE from 'fp-ts/TaskEither';
import type { Assignment } from '../domain/assignment';
import type { OrderId } from '../domain/ids';
import type { DomainError } from '../errors';
import type { AssignmentRepository, Clock, ConfigSource } from '../ports';
import { settle } from './change-record';
import { useCase } from './shared';

/** The whole record with its change log, for services (SPEC §6). */
export class GetAssignmentUseCase {
  constructor(
    private readonly repository: AssignmentRepository,
    private readonly clock: Clock,
    private readonly config: ConfigSource,
  ) {}

  execute(orderId: OrderId): TE.TaskEither<DomainError, Assignment> {
    return useCase(async () => {
      const found = await this.repository.findByOrder(orderId);
      if (found === null) return E.left({ code: 'assignment_not_found' });
      return settle({ repository: this.repository, config: this.config, clock: this.clock }, found);
    });
  }
}
