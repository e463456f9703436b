// The dashboard's entry: the header (account, sign-out), and the page the location's hash names:
// `#/` the apps list, `#/apps/<name>/<tab>` an app.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { account } from './api.ts';
import { AppPage } from './app-page.tsx';
import { AppsList } from './apps-list.tsx';

const useHash = () => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
};

function Dashboard() {
  const hash = useHash();
  const m = /^#\/apps\/([a-z0-9-]+)(?:\/(\w+))?/.exec(hash);
  const signOut = () => (document.getElementById('sign-out') as HTMLFormElement).submit();
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">Slipway</a>
        <nav aria-label="Account"><span class="who">{account}</span><button type="button" class="link" onClick={signOut}>Sign out</button></nav>
      </header>
      {m ? <AppPage key={m[1]} name={m[1]!} tab={m[2] ?? 'overview'} /> : <AppsList />}
    </>
  );
}

render(<Dashboard />, document.getElementById('root')!);
