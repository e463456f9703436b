// Deploy, as Heroku Dashboard's tab: the pipeline the app is in (its stage and the pipeline's other
// apps), how to push to it with git (over HTTP(S) at its git_url and over SSH, the addresses this platform serves), and
// a build from a tarball URL (the Builds API's `source_blob.url`) whose output streams as it runs.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from './api.ts';
import { Output } from './activity.tsx';
import type { TabProps } from './app-page.tsx';
import { useAction, useLoad } from './hooks.ts';
import { Badge, Problem } from './parts.tsx';

const STAGES = ['review', 'development', 'staging', 'production'];

function Pipeline({ app }: { app: string }) {
  const data = useLoad(async () => {
    const coupling = await api('GET', `/apps/${app}/pipeline-couplings`).catch((err) => {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    });
    // The pipeline's other apps, where the caller may see the pipeline (a collaborator of this app alone may not).
    const members = coupling ? await api<any[]>('GET', `/pipelines/${coupling.pipeline.id}/pipeline-couplings`).catch(() => [coupling]) : [];
    return { coupling, members };
  }, [app]);
  const c = data.data?.coupling;
  return (
    <article class="card wide pipeline">
      <h2>Pipeline</h2>
      <Problem error={data.error} />
      {data.data && !c ? <p>{app} is in no pipeline. Add it to one with <code>slipway pipelines:add PIPELINE -a {app} --stage staging</code>.</p> : null}
      {c ? <>
        <p>{app} is in pipeline <strong>{c.pipeline.name}</strong> at stage <strong>{c.stage}</strong>.</p>
        <ul class="stages">{STAGES.map((stage) => {
          const apps = data.data!.members.filter((m) => m.stage === stage);
          return apps.length ? <li key={stage}><span class="stage">{stage}</span>: {apps.map((m, i) => <span key={m.id}>{i ? ', ' : ''}{m.app.name === app
            ? <strong>{m.app.name}</strong> : <a href={`#/apps/${m.app.name}/deploy`}>{m.app.name}</a>}</span>)}</li> : null;
        })}</ul>
      </> : null}
    </article>
  );
}

function Git({ app }: { app: any }) {
  const server = useLoad(() => api<{ git?: { ssh: string | null } }>('GET', '/'), []);
  const ssh = server.data?.git?.ssh;
  return (
    <article class="card wide">
      <h2>Deploy with git</h2>
      <p>Add the app's repository as a remote and push a branch to <code>main</code>; each push builds, releases and shows in the Activity tab.</p>
      <h3>Over {String(app.git_url).startsWith('https:') ? 'HTTPS' : 'HTTP'}</h3>
      <p>Your API key is the password (git asks for it; <code>slipway login</code> stores it).</p>
      <pre class="cmd http">{`git remote add slipway ${app.git_url}\ngit push slipway main`}</pre>
      <p><small>With the Heroku CLI: <code>heroku git:remote -a {app.name}</code>, then <code>git push heroku main</code>.</small></p>
      <h3>Over SSH</h3>
      {ssh ? <>
        <p>Add your public key first (<code>slipway keys:add</code>).</p>
        <pre class="cmd ssh">{`git remote add slipway ${ssh}/${app.name}.git\ngit push slipway main`}</pre>
      </> : server.data ? <p>Git over SSH is off on this platform.</p> : null}
    </article>
  );
}

function Tarball({ app, reloadApp }: { app: string; reloadApp: () => Promise<void> }) {
  const [url, setUrl] = useState('');
  const [version, setVersion] = useState('');
  const [build, setBuild] = useState<any>();
  const act = useAction();
  // The build is watched while the tab is shown; leaving it ends the polling (the Activity tab has the rest).
  const shown = useRef(true);
  useEffect(() => () => { shown.current = false; }, []);
  const watch = async (id: string) => {
    while (shown.current) {
      const b = await api('GET', `/apps/${app}/builds/${id}`);
      setBuild(b);
      if (b.status !== 'pending') return void reloadApp();
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const submit = () => void act.run(async () => {
    const b = await api('POST', `/apps/${app}/builds`, { source_blob: { url: url.trim(), ...(version.trim() ? { version: version.trim() } : {}) } });
    setBuild(b);
    void watch(b.id).catch(() => undefined);
  });
  return (
    <article class="card wide tarball">
      <h2>Deploy from a tarball URL</h2>
      <p>The platform fetches a <code>.tar.gz</code> of the app's source (a GitHub archive link works) and builds it, as <code>slipway builds:create --source-url</code>.</p>
      <Problem error={act.error} />
      <form class="stack" aria-label="Deploy from a tarball URL" onSubmit={(e) => { e.preventDefault(); submit(); }}>
        <label>Source URL<input name="url" type="url" required placeholder="https://github.com/you/app/archive/main.tar.gz" value={url} onInput={(e) => setUrl(e.currentTarget.value)} /></label>
        <label>Version (optional)<input name="version" placeholder="v1.2 or a commit" value={version} onInput={(e) => setVersion(e.currentTarget.value)} /></label>
        <button type="submit" disabled={!url.trim() || act.busy || build?.status === 'pending'}>Deploy</button>
      </form>
      {build ? <div class="build-result">
        <p>Build <Badge status={build.status} />{build.status === 'succeeded' ? ' — released; the Activity tab has the new release.' : null}</p>
        {build.output_stream_url ? <Output url={build.output_stream_url} /> : null}
      </div> : null}
    </article>
  );
}

export function Deploy({ app, reloadApp }: TabProps) {
  return (
    <section class="grid">
      <Pipeline app={app.name} />
      <Git app={app} />
      <Tarball app={app.name} reloadApp={reloadApp} />
    </section>
  );
}
