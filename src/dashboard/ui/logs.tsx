// Logs: the app's live log stream through a log session (as `slipway logs --tail`), filtered by dyno
// and source (a new session each time they change), paused and resumed (lines that arrive while
// paused are held, up to the shown limit), each line coloured by its source. The last 2,000 lines stay.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, follow } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { Problem } from './parts.tsx';

const KEEP = 2000;
const LINE = /^(\S+) (\w+)\[([^\]]+)\]: /;

/** The class a line is coloured by: app, router, api, or heroku (the platform's other lines). */
export function sourceClass(line: string): string {
  const m = LINE.exec(line);
  if (!m) return 'other';
  if (m[2] === 'app') return m[3] === 'api' ? 'api' : 'app';
  return m[3] === 'router' ? 'router' : 'heroku';
}

export function Logs({ app }: TabProps) {
  const [dyno, setDyno] = useState('');
  const [source, setSource] = useState('');
  const [paused, setPaused] = useState(false);
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<string>();
  const held = useRef<string[]>([]);
  const [heldCount, setHeldCount] = useState(0);
  const pausedRef = useRef(false);
  pausedRef.current = paused;
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    let partial = '';
    setLines([]);
    setError(undefined);
    held.current = [];
    setHeldCount(0);
    const add = (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop() ?? '';
      const fresh = parts.filter(Boolean);
      if (!fresh.length) return;
      if (pausedRef.current) {
        held.current = [...held.current, ...fresh].slice(-KEEP);
        setHeldCount(held.current.length);
      } else setLines((old) => [...old, ...fresh].slice(-KEEP));
    };
    (async () => {
      const s = await api('POST', `/apps/${app.name}/log-sessions`, { tail: true, lines: 200, ...(dyno ? { dyno } : {}), ...(source ? { source } : {}) });
      await follow(s.logplex_url, add, abort.signal);
    })().catch((err) => { if (!abort.signal.aborted) setError(errorText(err)); });
    return () => abort.abort();
  }, [app.name, dyno, source]);

  useEffect(() => {
    if (!paused && held.current.length) {
      const more = held.current;
      held.current = [];
      setHeldCount(0);
      setLines((old) => [...old, ...more].slice(-KEEP));
    }
  }, [paused]);
  useEffect(() => { if (!paused && box.current) box.current.scrollTop = box.current.scrollHeight; }, [lines, paused]);

  return (
    <section>
      <form class="inline filters" aria-label="Log filters" onSubmit={(e) => e.preventDefault()}>
        <label>Dyno <input name="dyno" placeholder="all (e.g. web.1, web)" value={dyno} onChange={(e) => setDyno(e.currentTarget.value.trim())} /></label>
        <label>Source <select name="source" value={source} onChange={(e) => setSource(e.currentTarget.value)}>
          <option value="">all</option><option value="app">app</option><option value="heroku">heroku (platform)</option></select></label>
        <button type="button" class="secondary" onClick={() => setPaused(!paused)} aria-pressed={paused}>{paused ? 'Resume' : 'Pause'}</button>
        <span role="status">{paused ? `Paused (${heldCount} new lines held)` : 'Live'}</span>
      </form>
      <Problem error={error} />
      <div class="logs" ref={box} role="log" aria-label="Log lines" aria-live="off">
        {lines.map((l, i) => <div key={i} class={`l ${sourceClass(l)}`}>{l}</div>)}
        {lines.length === 0 ? <div class="l other">Waiting for log lines…</div> : null}
      </div>
    </section>
  );
}
