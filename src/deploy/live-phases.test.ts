import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LivePhases, type LiveLine, watchLivePhases } from './live-phases.ts';

const T = Date.UTC(2026, 0, 1);
const line = (ms: number, dyno: string, message: string, source = 'heroku'): LiveLine => ({ time: new Date(T + ms), source, dyno, message });
const router = (ms: number, dyno = 'web.1') => line(ms, 'router', `at=info method=GET path="/" host=a.example.com request_id=x fwd="127.0.0.1" dyno=${dyno} connect=0ms service=1ms status=200 bytes=5 protocol=http`);

test('the phases after a release: dyno start, port answering, first answer through the router', () => {
  const p = new LivePhases();
  // Before the release's time is known (the build is still running): held.
  assert.equal(p.see(line(-500, 'web.1', 'Starting process with command `node old.js`')), false);
  assert.equal(p.see(router(-400)), false, 'the old release answering');
  assert.equal(p.release(T), false);
  assert.equal(p.see(line(150, 'web.1', 'Stopping all processes with SIGTERM')), false);
  assert.equal(p.see(line(300, 'web.1', 'Starting process with command `npm start`')), false);
  assert.equal(p.see(line(310, 'web.1', 'Starting process with command `npm start`', 'app')), false, "the app's own line");
  assert.equal(p.see(line(400, 'router', 'at=error code=H20 desc="App boot timeout" dyno=web.1 connect=0ms')), false, 'an error is no answer');
  assert.equal(p.see(line(900, 'web.1', 'State changed from starting to up')), false);
  assert.equal(p.see(router(1100)), true);
  assert.deepEqual(p.phases().map((x) => [x.name, x.start - T, x.end - T]), [
    ['release → dyno start', 0, 300],
    ['dyno start → port answers', 300, 900],
    ['port answers → first answer through the router', 900, 1100],
  ]);
});

test('lines the build held are read against the release once known', () => {
  const p = new LivePhases();
  p.see(line(10, 'web.1', 'Starting process with command `npm start`'));
  p.see(line(20, 'web.1', 'State changed from starting to up'));
  p.see(router(30));
  assert.equal(p.release(T + 5), true, 'the release was made before the dyno started');
  assert.equal(p.phases().length, 3);
});

test('a watch resolves at the first answer and unsubscribes; without one it resolves with what it saw', async () => {
  let onLine: ((l: LiveLine) => void) | undefined;
  let unsubscribed = 0;
  const w = watchLivePhases((_app, f) => { onLine = f; return () => { unsubscribed++; }; }, 'app-1');
  const done = w.released(T);
  onLine!(line(1, 'web.1', 'Starting process with command `npm start`'));
  onLine!(line(2, 'web.1', 'State changed from starting to up'));
  onLine!(router(3));
  assert.equal((await done).length, 3);
  assert.equal(unsubscribed, 1);
  const w2 = watchLivePhases((_app, f) => { onLine = f; return () => undefined; }, 'app-1');
  const partial = w2.released(T, 20);
  onLine!(line(1, 'web.1', 'Starting process with command `npm start`'));
  const alive = setTimeout(() => undefined, 5000); // the watch's own timer does not hold a process open
  assert.deepEqual((await partial).map((x) => x.name), ['release → dyno start']);
  clearTimeout(alive);
});
