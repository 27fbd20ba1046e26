/**
 * @codedispatch/core/adapter: what a store or a host is built from, beyond
 * what an embedder calls. The PostgreSQL package maps records with the JSON
 * forms and the state machine; the REST service builds the use cases over
 * its own (metered) ports with `createUseCases`; the benchmarks draw codes
 * as the issuer does. An embedder of `createCodeDispatch` needs none of it.
 */
export { createUseCases, type UseCasePorts } from './code-dispatch';
export {
  newAssignment,
  transition,
  type AssignmentEvent,
  type AssignmentEventType,
  type IllegalTransition,
  type Transitioned,
} from './domain/transition';
export { actorFromJson, actorToJson, changeFromJson, changeToJson, type ActorJson, type ChangeJson } from './domain/change-log';
export { candidatesFromIndex, codeAt, generateCandidates, isTrivial, normaliseTyped } from './codes';
