// Language benchmark (issue #8): git push → serving for each language's fixture app
// (test/fixtures/apps/*-app), the first build (empty build cache) and a cached rebuild (an unchanged
// app pushed again), side by side with the Node fixture's. "Serving" is the router's first 200 from a
// web dyno of the new release. The machine-wide runtime cache is used as found: on a machine where it
// is empty, the first language build also downloads and unpacks its Debian packages.
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeRepo, ROOT, sleep, type TestPlatform } from '../test/helpers/platform.ts';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'apps');
const LANGUAGES = [
  { fixture: 'node-app', label: 'Node.js' },
  { fixture: 'ruby-app', label: 'Ruby (Rack)' },
  { fixture: 'java-app', label: 'Java (Maven)' },
  { fixture: 'clojure-app', label: 'Clojure (Leiningen)' },
  { fixture: 'scala-app', label: 'Scala (scalac)' },
];

/** ms from the push's start until a web dyno of release `version` answers 200 through the router. */
async function pushUntilServing(p: TestPlatform, app: string, dir: string, version: number): Promise<{ build: number; serving: number; slug: string }> {
  const t0 = performance.now();
  const push = await p.push(dir, app);
  if (push.code !== 0 || !push.output.includes(`Released v${version}`)) throw new Error(`push of ${app} failed:\n${push.output}`);
  const build = performance.now() - t0;
  const slug = /Done: (\S+)/.exec(push.output)?.[1] ?? '?';
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const dynos = (await p.request('GET', `/apps/${app}/dynos`)).body as { type: string; state: string; release: { version: number } }[];
    if (dynos.some((d) => d.type === 'web' && d.state === 'up' && d.release.version === version)) {
      const r = await p.route(app, '/').catch(() => ({ status: 0 }));
      if (r.status === 200) return { build, serving: performance.now() - t0, slug };
    }
    await sleep(50);
  }
  throw new Error(`${app} v${version} did not serve within 180 s`);
}

export async function languagesBench(p: TestPlatform, work: string): Promise<void> {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(8);
  console.log('git push → serving, per language (build done / serving):');
  console.log(`${'fixture'.padEnd(22)}${'first build'.padStart(19)}${'cached rebuild'.padStart(19)}   slug`);
  for (const { fixture, label } of LANGUAGES) {
    const app = `bench-${fixture}`;
    const dir = join(work, app);
    await cp(join(FIXTURES, fixture), dir, { recursive: true });
    await makeRepo(dir, {});
    const created = await p.request('POST', '/apps', { name: app });
    if (created.status !== 201) throw new Error(`creating ${app}: ${created.status}`);
    const first = await pushUntilServing(p, app, dir, 1);
    await writeFile(join(dir, 'BENCH.txt'), 'rebuild\n');
    await makeRepo(dir, {}, 'rebuild');
    const again = await pushUntilServing(p, app, dir, 2);
    console.log(`${label.padEnd(22)}${s(first.build)} / ${s(first.serving)}${s(again.build)} / ${s(again.serving)}   ${first.slug}`);
    await p.request('DELETE', `/apps/${app}`);
  }
  console.log('');
}
