import type { Status } from './domain/assignment';

/**
 * Every way a use case can fail, as data. `code` is the API's machine-readable
 * code (SPEC §6), so it survives process boundaries unchanged; the HTTP shell
 * maps each one to a status with an exhaustive table.
 */
export type DomainError =
  | { readonly code: 'area_not_found'; readonly areaId: string }
  | { readonly code: 'area_disabled'; readonly areaId: string }
  | { readonly code: 'code_dispatch_disabled'; readonly areaId: string }
  | { readonly code: 'processing_disabled' }
  | { readonly code: 'order_exists_in_other_area'; readonly orderId: string; readonly areaId: string }
  | { readonly code: 'code_space_exhausted'; readonly areaId: string }
  | { readonly code: 'invalid_code_format'; readonly detail: string }
  | { readonly code: 'invalid_code_checksum' }
  | { readonly code: 'code_not_found' }
  | { readonly code: 'code_already_in_use' }
  | { readonly code: 'driver_has_active_assignment'; readonly orderId: string }
  | { readonly code: 'too_many_attempts'; readonly retryAfterS: number }
  | { readonly code: 'assignment_not_found' }
  | { readonly code: 'assignment_not_processing'; readonly assignmentStatus: Status }
  | { readonly code: 'order_already_assigned' }
  | { readonly code: 'tracker_unavailable'; readonly retryAfterS: number }
  | { readonly code: 'illegal_transition'; readonly from: Status; readonly event: string }
  | { readonly code: 'storage_unavailable'; readonly cause: unknown };

export type DomainErrorCode = DomainError['code'];

export const DOMAIN_ERROR_CODES: readonly DomainErrorCode[] = [
  'area_not_found',
  'area_disabled',
  'code_dispatch_disabled',
  'processing_disabled',
  'order_exists_in_other_area',
  'code_space_exhausted',
  'invalid_code_format',
  'invalid_code_checksum',
  'code_not_found',
  'code_already_in_use',
  'driver_has_active_assignment',
  'too_many_attempts',
  'assignment_not_found',
  'assignment_not_processing',
  'order_already_assigned',
  'tracker_unavailable',
  'illegal_transition',
  'storage_unavailable',
];

export const storageUnavailable = (cause: unknown): DomainError => ({ code: 'storage_unavailable', cause });
