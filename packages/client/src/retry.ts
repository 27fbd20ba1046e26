import { CodeDispatchNetworkError, retryAfterSeconds } from './errors';

/** Bounds of the retries of safe calls (create, lookup, the GETs). */
export interface RetryOptions {
  /** Tries in all, the first included (default 3; 1 turns retries off). */
  readonly attempts?: number;
  /** No retry starts once this much time has passed since the first try, nor waits beyond it (default 10 000 ms). */
  readonly maxTotalMs?: number;
  /** The first backoff; doubled each time (default 200 ms). A 503's Retry-After overrides it. */
  readonly baseDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 3, maxTotalMs: 10_000, baseDelayMs: 200 };

export interface Outcome {
  readonly response: Response;
}

const abortError = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException('This operation was aborted', 'AbortError');

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The fetch the client gives openapi-fetch: a rejected fetch becomes a
 * `CodeDispatchNetworkError`, but an abort stays the signal's reason.
 */
export const classifyingFetch =
  (inner: typeof fetch): typeof fetch =>
  async (input, init) => {
    try {
      return await inner(input, init);
    } catch (error) {
      const request = input instanceof Request ? input : undefined;
      if (request?.signal.aborted || init?.signal?.aborted) throw error;
      throw new CodeDispatchNetworkError(error);
    }
  };

/**
 * Runs `call` once, or, when `retry` is set, again on a network error
 * (`CodeDispatchNetworkError`) or a 503, within the bounds. Anything else
 * thrown, an abort included, ends the call at once.
 */
export const withRetries = async <T extends Outcome>(
  call: () => Promise<T>,
  retry: Required<RetryOptions> | undefined,
  signal: AbortSignal | undefined,
): Promise<T> => {
  const started = Date.now();
  const attempts = retry?.attempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    let delayMs = (retry?.baseDelayMs ?? 0) * 2 ** (attempt - 1);
    let failure: unknown;
    try {
      const outcome = await call();
      if (outcome.response.status !== 503) return outcome;
      const after = retryAfterSeconds(outcome.response);
      if (after !== undefined) delayMs = after * 1000;
      failure = outcome;
    } catch (error) {
      if (!(error instanceof CodeDispatchNetworkError)) throw error;
      failure = error;
    }
    const last = retry === undefined || attempt >= attempts || Date.now() - started + delayMs > retry.maxTotalMs;
    if (last) {
      if (failure instanceof Error) throw failure;
      return failure as T;
    }
    await sleep(delayMs, signal);
  }
};
