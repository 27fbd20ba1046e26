import { inMemoryUnderTest } from './harness';
import { assignmentRepositoryContract } from './repository-contract';

// The reference semantics: the core's in-memory adapter passes the same contract.
assignmentRepositoryContract('InMemoryAssignmentRepository', inMemoryUnderTest);
