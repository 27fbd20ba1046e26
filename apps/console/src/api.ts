// The /v1/ops API as the console reads it: the response shapes of the operations contract (snake_case JSON, ISO-8601
// UTC timestamps), and one fetch wrapper that sends the operator token and turns every answer into a value.

export type Timestamp = string;
export type Status = 'pending' | 'processing' | 'assigned' | 'error';

export interface SeriesBucket {
  readonly at: Timestamp;
  readonly entries: number;
  readonly assignments: number;
  readonly errors: number;
  readonly attempt_limit_refusals: number;
}

export interface AreaView {
  readonly area_id: string;
  readonly enabled: boolean;
  readonly code_space: { readonly size: number; readonly taken: number; readonly use: number };
  readonly now: { readonly pending: number; readonly processing: number };
  readonly last_15_min: {
    readonly entries: number;
    readonly assignments: number;
    readonly entries_per_min: number;
    readonly assignments_per_min: number;
    readonly entry_to_assigned_ms: { readonly count: number; readonly p50: number | null; readonly p99: number | null };
    readonly errors: Readonly<Record<string, number>>;
    readonly attempt_limit_refusals: number;
  };
  readonly series: readonly SeriesBucket[];
}

export interface AreasResponse {
  readonly generated_at: Timestamp;
  readonly bucket_s: number;
  readonly areas: readonly AreaView[];
}

export type Actor =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'driver'; readonly park_db_id: string; readonly driver_id: string }
  | { readonly kind: 'system' };

export interface Change {
  readonly at: Timestamp;
  readonly from: Status | null;
  readonly to: Status;
  readonly actor: Actor;
  readonly error_code?: string;
  readonly reason?: string;
}

/** The body of GET /v1/assignments/{order_id}. */
export interface Assignment {
  readonly order_id: string;
  readonly area_id: string;
  readonly code: string;
  readonly code_display: string;
  readonly status: Status;
  readonly error_code: string | null;
  readonly park_db_id: string | null;
  readonly driver_id: string | null;
  readonly user_id: string | null;
  readonly attempt: number;
  readonly legacy: boolean;
  readonly created_at: Timestamp;
  readonly updated_at: Timestamp;
  readonly expires_at: Timestamp;
  readonly changes: readonly Change[];
}

export interface OutboxEvent {
  readonly event_id: string;
  readonly type: string;
  readonly created_at: Timestamp;
  readonly attempts: number;
  readonly delivered_at: Timestamp | null;
  readonly dead_at: Timestamp | null;
  readonly last_error: string | null;
  readonly next_attempt_at: Timestamp;
}

export interface OrderResponse {
  readonly assignment: Assignment;
  readonly events: readonly OutboxEvent[];
}

export interface OrderSummary {
  readonly order_id: string;
  readonly area_id: string;
  readonly code: string;
  readonly code_display: string;
  readonly status: Status;
  readonly error_code: string | null;
  readonly updated_at: Timestamp;
}

export interface OrdersResponse {
  readonly orders: readonly OrderSummary[];
}

export interface DeadLetter {
  readonly event_id: string;
  readonly order_id: string;
  readonly type: string;
  readonly attempts: number;
  readonly created_at: Timestamp;
  readonly dead_at: Timestamp;
  readonly last_error: string | null;
}

export interface EventsResponse {
  readonly depth: number;
  readonly oldest_age_s: number;
  readonly dead: number;
  readonly dead_letters: readonly DeadLetter[];
}

export interface RedriveResponse {
  readonly redriven: number;
}

export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export interface ConfigResponse {
  readonly origin: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'demo' };
  readonly version: string;
  readonly loaded_at: Timestamp;
  readonly last_reload: {
    readonly at: Timestamp;
    readonly trigger: string;
    readonly outcome: 'applied' | 'refused';
    readonly issues: readonly ConfigIssue[];
  } | null;
  readonly applies_at_restart: readonly string[];
}

/** An RFC 9457 problem document as the service writes them (`code` is its snake_case error code). */
export interface Problem {
  readonly status: number;
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
}

export type Answer<T> =
  | { readonly ok: true; readonly value: T }
  /** 401 or 403: the token is missing, unknown or not an operator's. */
  | { readonly ok: false; readonly kind: 'refused'; readonly problem: Problem }
  | { readonly ok: false; readonly kind: 'problem'; readonly problem: Problem }
  | { readonly ok: false; readonly kind: 'unreachable'; readonly message: string };

const problemOf = async (response: Response): Promise<Problem> => {
  try {
    const body = (await response.json()) as Partial<Problem>;
    return { ...body, status: response.status };
  } catch {
    return { status: response.status, title: response.statusText };
  }
};

/** Calls the service's own /v1/ops API (same origin) with the operator token as Bearer; never throws. */
export const callOps = async <T>(
  token: string,
  path: string,
  init: { readonly method?: 'GET' | 'POST'; readonly signal?: AbortSignal } = {},
): Promise<Answer<T>> => {
  let response: Response;
  try {
    response = await fetch(`/v1/ops${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      signal: init.signal,
    });
  } catch (error) {
    return { ok: false, kind: 'unreachable', message: error instanceof Error ? error.message : String(error) };
  }
  if (response.ok) {
    try {
      return { ok: true, value: (await response.json()) as T };
    } catch {
      return { ok: false, kind: 'problem', problem: { status: response.status, title: 'The answer is not JSON' } };
    }
  }
  const problem = await problemOf(response);
  return response.status === 401 || response.status === 403
    ? { ok: false, kind: 'refused', problem }
    : { ok: false, kind: 'problem', problem };
};

/** One line for a failed answer: the problem's code and detail, or why the service could not be reached. */
export const describeFailure = (answer: Exclude<Answer<unknown>, { ok: true }>): string =>
  answer.kind === 'unreachable'
    ? `The service could not be reached (${answer.message}).`
    : `${answer.problem.status} ${answer.problem.code ?? answer.problem.title ?? ''}${answer.problem.detail ? `: ${answer.problem.detail}` : ''}`;
