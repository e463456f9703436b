// Unit tests of the routing decision and the random dyno choice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide, pickTarget } from './decide.ts';
import type { AppRoute, RouteTarget } from '../dynos/routes.ts';

const web = (n: number): RouteTarget => ({ dyno: `web.${n}`, host: '127.0.0.1', port: 5000 + n });
const route = (over: Partial<AppRoute>): AppRoute => ({ appId: 'a1', appName: 'demo', up: [], webQuantity: 1, crashed: false, ...over });

describe('decide', () => {
  it('says no-such-app for an unknown host', () => {
    assert.deepEqual(decide(undefined, Math.random), { kind: 'no-such-app' });
  });

  it('proxies to an up dyno', () => {
    assert.deepEqual(decide(route({ up: [web(1)] }), () => 0.5), { kind: 'proxy', target: web(1) });
  });

  it('gives H14 when web is scaled to 0, even with a dyno still listed', () => {
    assert.deepEqual(decide(route({ webQuantity: 0 }), Math.random), { kind: 'error', code: 'H14' });
    assert.deepEqual(decide(route({ webQuantity: 0, up: [web(1)] }), Math.random), { kind: 'error', code: 'H14' });
  });

  it('gives H10 when the dynos crashed and none is up', () => {
    assert.deepEqual(decide(route({ crashed: true }), Math.random), { kind: 'error', code: 'H10' });
  });

  it('prefers an up dyno over the crashed flag', () => {
    assert.equal(decide(route({ crashed: true, up: [web(2)] }), Math.random).kind, 'proxy');
  });

  it('holds while dynos are starting', () => {
    assert.deepEqual(decide(route({}), Math.random), { kind: 'hold' });
  });
});

describe('pickTarget', () => {
  const up = [web(1), web(2), web(3)];

  it('maps the random number uniformly onto the dynos', () => {
    assert.equal(pickTarget(up, () => 0)!.dyno, 'web.1');
    assert.equal(pickTarget(up, () => 0.5)!.dyno, 'web.2');
    assert.equal(pickTarget(up, () => 0.9999)!.dyno, 'web.3');
    assert.equal(pickTarget(up, () => 1)!.dyno, 'web.3');
  });

  it('skips dynos already tried', () => {
    assert.equal(pickTarget(up, () => 0, new Set(['web.1']))!.dyno, 'web.2');
    assert.equal(pickTarget(up, () => 0, new Set(['web.1', 'web.2', 'web.3'])), undefined);
    assert.equal(pickTarget([], Math.random), undefined);
  });
});
