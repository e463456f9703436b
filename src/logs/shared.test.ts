// Tests of the log stream shared between platform processes: packing into NOTIFY payloads and back
// (long lines in pieces, bounds, malformed batches skipped), and two Logplexes sharing through a real
// PostgreSQL: each stores the other's lines in order, a tail on one sees lines stored by the other, a
// forgotten app goes from both, and a line of 10,000 bytes arrives whole.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatLine } from './format.ts';
import { Logplex } from './logplex.ts';
import { entriesOf, pack, PAYLOAD_BYTES, SharedLogs, Unpacker, type Entry } from './shared.ts';
import type { LogLine } from './types.ts';
import { postgresMissing, TestPostgres } from '../store/test-helpers.ts';

const line = (message: string, dyno = 'web.1'): LogLine => ({ time: new Date(1_795_533_550_123), micros: 456, source: 'app', dyno, message });

describe('shared log payloads', () => {
  it('packs lines into payloads PostgreSQL takes and unpacks them whole, a long line from its pieces', () => {
    const long = `${'x'.repeat(4000)}\u001b${'ü'.repeat(5000)}\u0000end`;
    const entries: Entry[] = [...entriesOf('a1', line('short')), ...entriesOf('a1', line(long)), ['f', 'a2'], ...entriesOf('a1', line('after', 'router'))];
    const payloads = pack('sender', entries, 0);
    assert.ok(payloads.length > 1);
    for (const p of payloads) assert.ok(Buffer.byteLength(p) <= PAYLOAD_BYTES, `${Buffer.byteLength(p)} bytes`);
    const got: string[] = [];
    const u = new Unpacker('me', { line: (app, l) => got.push(`${app} ${l.at} ${l.source}[${l.dyno}] ${l.message}`), forget: (app) => got.push(`forget ${app}`) });
    for (const p of payloads) u.take(p);
    assert.deepEqual(got, [`a1 1795533550123456 app[web.1] short`, `a1 1795533550123456 app[web.1] ${long}`, 'forget a2', `a1 1795533550123456 app[router] after`]);
  });

  it('skips its own batches and anything that is not a well-formed batch, keeping the rest', () => {
    const got: string[] = [];
    const u = new Unpacker('me', { line: (app, l) => got.push(`${app} ${l.message}`), forget: (app) => got.push(`forget ${app}`) });
    u.take(pack('me', entriesOf('a', line('mine')), 0)[0]!);
    for (const bad of ['', 'not json', '[]', '{"p":1,"e":[]}', '{"p":"x","e":{}}', 'null']) u.take(bad);
    u.take(JSON.stringify({ p: 'other', e: [['l', 'a', -1, 'app', 'web.1', 'bad stamp'], ['l', 'a', 1, 'kernel', 'web.1', 'bad source'], ['x', 'a'], ['f'], null, ['l', 'a', 5, 'heroku', 'router', 'kept']] }));
    assert.deepEqual(got, ['a kept']);
  });

  it('holds at most 64 KiB of pieces of one unfinished line', () => {
    const got: string[] = [];
    const u = new Unpacker('me', { line: (_app, l) => got.push(l.message), forget: () => undefined });
    const piece = 'y'.repeat(1000);
    for (let i = 0; i < 70; i++) u.take(JSON.stringify({ p: 'o', e: [['m', 'a', 1, 'app', 'web.1', piece]] }));
    u.take(JSON.stringify({ p: 'o', e: [['l', 'a', 1, 'app', 'web.1', 'tail']] }));
    assert.equal(got.length, 1);
    assert.ok(got[0]!.length < 64 * 1024, 'the pieces past the bound were let go');
  });
});

describe('two Logplexes sharing through PostgreSQL', { skip: postgresMissing() ?? false }, () => {
  let pg: TestPostgres;
  let url: string;
  const errors: string[] = [];
  const shares: SharedLogs[] = [];
  const logplex = (): Logplex => {
    const l = new Logplex();
    const s = new SharedLogs({ url, logs: l, reportError: (err, context) => errors.push(`${context}: ${String(err)}`) });
    shares.push(s);
    return l;
  };

  before(async () => {
    pg = await TestPostgres.start();
    url = await pg.database();
  });
  after(async () => {
    for (const s of shares) await s.close();
    await pg?.stop();
  });

  it('each stores the other\'s lines in order, tails see them, long lines arrive whole, a forgotten app goes from both', async () => {
    const a = logplex();
    const b = logplex();
    await Promise.all(shares.map((s) => s.start()));
    const tail: string[] = [];
    const stop = b.subscribe('app1', { dyno: 'web' }, (l) => void tail.push(l.message));
    a.emit('app1', 'app', 'web.1', 'from the leader\'s dyno\nsecond line');
    b.emit('app1', 'heroku', 'router', 'at=info path="/" from the standby\'s router');
    const long = 'z'.repeat(10_000);
    a.emit('app1', 'app', 'web.2', long);
    for (let i = 0; i < 100 && (a.recent('app1', 10).length < 4 || b.recent('app1', 10).length < 4); i++) await new Promise((r) => setTimeout(r, 50));
    const text = (l: Logplex) => l.recent('app1', 10).map((x) => `${x.source}[${x.dyno}] ${x.message.slice(0, 40)}`);
    assert.deepEqual(text(b).filter((x) => x.startsWith('app')), ['app[web.1] from the leader\'s dyno', 'app[web.1] second line', `app[web.2] ${'z'.repeat(40)}`]);
    assert.deepEqual(text(a).filter((x) => x.startsWith('heroku')), ['heroku[router] at=info path="/" from the standby\'s rout']);
    assert.equal(b.recent('app1', 10, { dyno: 'web.2' })[0]?.message, long);
    assert.deepEqual(tail.map((m) => m.slice(0, 20)), ['from the leader\'s dy', 'second line', 'z'.repeat(20)]);
    // Stamps on each side stay strictly increasing, and printed lines keep that order.
    const printed = b.recent('app1', 10).map(formatLine);
    assert.deepEqual([...printed].sort(), printed);
    stop();

    b.forget('app1');
    for (let i = 0; i < 100 && a.recent('app1', 10).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(a.recent('app1', 10), []);
    assert.deepEqual(errors, []);
  });
});
