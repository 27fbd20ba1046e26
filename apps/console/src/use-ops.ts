import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { callOps, describeFailure, type Problem } from './api';

export interface OpsState<T> {
  /** The last good answer (kept while a later poll fails). */
  readonly value: T | null;
  /** Why the last call failed, or null. */
  readonly failure: string | null;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** GETs an /v1/ops path (null: nothing to fetch), again every `pollMs` when given; a refusal goes to `onRefused`. */
export const useOps = <T>(
  token: string,
  path: string | null,
  onRefused: (problem: Problem) => void,
  pollMs?: number,
): OpsState<T> => {
  const [value, setValue] = useState<T | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [tick, setTick] = useState(0);
  const refused = useRef(onRefused);
  refused.current = onRefused;
  const reload = useCallback(() => setTick((n) => n + 1), []);

  useEffect(() => {
    setValue(null);
    setFailure(null);
  }, [path]);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    void callOps<T>(token, path, { signal: controller.signal }).then((answer) => {
      if (controller.signal.aborted) return;
      setLoading(false);
      if (answer.ok) {
        setValue(answer.value);
        setFailure(null);
      } else if (answer.kind === 'refused') {
        refused.current(answer.problem);
        return;
      } else {
        setFailure(describeFailure(answer));
      }
      // The next poll counts from this answer, not from the request: a slow
      // answer is shown, not aborted by the next tick, and polls never pile up.
      if (pollMs !== undefined) timer = setTimeout(() => setTick((n) => n + 1), pollMs);
    });
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [token, path, pollMs, tick]);

  return { value, failure, loading, reload };
};
