// Small state helpers shared by the pages: load data from the API (with reload), and run an action
// showing its error.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.ts';

export interface Loaded<T> { data?: T; error?: string; loading: boolean; reload: () => Promise<void> }

/** Loads with `fn` now, whenever `deps` change, and every `everyMs` when given (live pages). */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[], everyMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const reload = useCallback(async () => {
    try {
      const data = await fnRef.current();
      setState({ data, loading: false });
    } catch (err) {
      setState((s) => ({ ...s, error: errorText(err), loading: false }));
    }
  }, []);
  useEffect(() => {
    setState({ loading: true });
    void reload();
    if (!everyMs) return;
    const t = setInterval(() => { if (!document.hidden) void reload(); }, everyMs);
    return () => clearInterval(t);
  }, deps);
  return { ...state, reload };
}

/** An action's busy flag and error, and a runner that sets them. */
export function useAction(): { busy: boolean; error?: string; run: (fn: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      return true;
    } catch (err) {
      setError(errorText(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(undefined) };
}
