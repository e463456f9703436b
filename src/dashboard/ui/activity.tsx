// Activity: releases and builds, newest first; a build's output (streaming while it runs), a release's
// release-phase output, and a rollback button on each older release that can be rolled back to.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, follow } from './api.ts';
import type { TabProps } from './app-page.tsx';
import { useAction, useLoad } from './hooks.ts';
import { ago, Badge, Problem } from './parts.tsx';

/** A build's or release phase's output, read from its stream URL as it is written. */
export function Output({ url }: { url: string }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const abort = new AbortController();
    setText('');
    follow(url, (t) => setText((old) => (old + t).slice(-500_000)), abort.signal).catch((err) => setError(errorText(err)));
    return () => abort.abort();
  }, [url]);
  useEffect(() => { if (pre.current) pre.current.scrollTop = pre.current.scrollHeight; }, [text]);
  return <>{error ? <Problem error={error} /> : null}<pre class="output" ref={pre}>{text || 'Waiting for output…'}</pre></>;
}

/** A commit id is shown by its first 8 characters, as git does; any other version (a tarball's) whole. */
const shortVersion = (v: string) => (/^[0-9a-f]{40}$/.test(v) ? v.slice(0, 8) : v.slice(0, 60));

export function Activity({ app, reloadApp }: TabProps) {
  const data = useLoad(async () => {
    const [releases, builds] = await Promise.all([
      api<any[]>('GET', `/apps/${app.name}/releases`, undefined, { Range: 'version ..; order=desc, max=50' }),
      api<any[]>('GET', `/apps/${app.name}/builds`),
    ]);
    const items = [
      ...releases.map((r) => ({ kind: 'release' as const, at: r.created_at, r })),
      ...builds.slice(-50).map((b) => ({ kind: 'build' as const, at: b.created_at, b })),
    ];
    return items.sort((x, y) => (x.at < y.at ? 1 : x.at > y.at ? -1 : x.kind === 'release' ? -1 : 1));
  }, [app.name], 5000);
  const [open, setOpen] = useState<string>();
  const act = useAction();
  const rollback = (r: any) => void act.run(() => api('POST', `/apps/${app.name}/releases`, { release: r.id })).then(() => { void data.reload(); void reloadApp(); });
  return (
    <section>
      <Problem error={data.error ?? act.error} />
      <ol class="timeline">
        {(data.data ?? []).map((it) => it.kind === 'release' ? (
          <li key={it.r.id} class="release">
            <div class="line">
              <strong>v{it.r.version}</strong> <span class="desc">{it.r.description}</span>
              {it.r.current ? <Badge status="current" /> : null}{it.r.status !== 'succeeded' ? <Badge status={it.r.status} /> : null}
              <small>{it.r.user.email} · {ago(it.r.created_at)}</small>
              {it.r.output_stream_url ? <button type="button" class="link" aria-expanded={open === it.r.id} onClick={() => setOpen(open === it.r.id ? undefined : it.r.id)}>Release output</button> : null}
              {!it.r.current && it.r.eligible_for_rollback !== false && it.r.slug ? (
                <button type="button" class="secondary" disabled={act.busy} onClick={() => rollback(it.r)}>Roll back to v{it.r.version}</button>
              ) : null}
            </div>
            {open === it.r.id ? <Output url={it.r.output_stream_url} /> : null}
          </li>
        ) : (
          <li key={it.b.id} class="build">
            <div class="line">
              <strong>Build</strong> <Badge status={it.b.status} />
              <span class="desc">{it.b.source_blob?.version ? <code>{shortVersion(String(it.b.source_blob.version))}</code> : null}</span>
              <small>{it.b.user.email} · {ago(it.b.created_at)}</small>
              {it.b.output_stream_url ? <button type="button" class="link" aria-expanded={open === it.b.id} onClick={() => setOpen(open === it.b.id ? undefined : it.b.id)}>
                {it.b.status === 'pending' ? 'Watch build output' : 'Build output'}</button> : null}
            </div>
            {open === it.b.id ? <Output url={it.b.output_stream_url} /> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
