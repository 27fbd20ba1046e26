import type { Store } from '../code-dispatch';
import { InMemoryAssignmentRepository } from './in-memory-assignment-repository';

/**
 * A store in this process's memory, for tests and trials: the same answers
 * as on PostgreSQL (the repository contract runs on both), nothing kept.
 */
export const memoryStore = (): Store & { readonly repository: InMemoryAssignmentRepository } => ({
  repository: new InMemoryAssignmentRepository(),
});
