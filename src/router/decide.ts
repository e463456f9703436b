// The router's routing decision for one request, pure: given what the route table says about the
// app, proxy to a random up web dyno, fail with H14/H10, or hold the request while dynos boot.
// Kept apart from the proxy I/O so another data path (HAProxy) can share it.
import type { AppRoute, RouteTarget } from '../dynos/routes.ts';

export type RouteDecision =
  | { kind: 'no-such-app' }
  | { kind: 'proxy'; target: RouteTarget }
  | { kind: 'error'; code: 'H14' | 'H10' | 'H80' }
  /** Web dynos are wanted but none is up and they have not crashed: they are starting. */
  | { kind: 'hold' };

export type Random = () => number;

/**
 * Order of the checks: maintenance mode answers H80 before anything else; web scaled to 0 is H14 even if a stopping dyno is still listed; any up dyno
 * is used; otherwise crashed dynos give H10, and anything else is a boot in progress.
 */
export function decide(route: AppRoute | undefined, random: Random): RouteDecision {
  if (!route) return { kind: 'no-such-app' };
  if (route.maintenance) return { kind: 'error', code: 'H80' };
  if (route.webQuantity <= 0) return { kind: 'error', code: 'H14' };
  const target = pickTarget(route.up, random);
  if (target) return { kind: 'proxy', target };
  if (route.crashed) return { kind: 'error', code: 'H10' };
  return { kind: 'hold' };
}

/** A uniformly random dyno (Heroku's choice, not round robin), skipping those already tried. */
export function pickTarget(up: readonly RouteTarget[], random: Random, tried?: ReadonlySet<string>): RouteTarget | undefined {
  const candidates = tried && tried.size > 0 ? up.filter((t) => !tried.has(t.dyno)) : up;
  if (candidates.length === 0) return undefined;
  const i = Math.min(candidates.length - 1, Math.floor(random() * candidates.length));
  return candidates[i];
}
