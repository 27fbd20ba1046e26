export {
  createClient,
  type AreasOptions,
  type AreasResponse,
  type AreaSummary,
  type Assignment,
  type AssignmentErrorCode,
  type AssignRequest,
  type Auth,
  type CallOptions,
  type CancelOrderRequest,
  type CancelOrderResponse,
  type ClientOptions,
  type CodeDispatchClient,
  type ConfigStatus,
  type DeadLettersOptions,
  type EventsResponse,
  type OrdersByCode,
  type OrderStory,
  type RedriveResponse,
  type CreateOrderRequest,
  type CreateOrderResponse,
  type DriverState,
  type LookupResponse,
  type ProcessingEvent,
  type Status,
  type StatusOptions,
} from './client';
export {
  CodeDispatchNetworkError,
  CodeDispatchProblem,
  CodeDispatchUnexpectedResponse,
  type ProblemCode,
  type ProblemDocument,
} from './errors';
export type { RetryOptions } from './retry';
export { SIGNATURE_HEADER, verifyEventSignature } from './webhook';
export type { components, operations, paths } from './generated/openapi';
