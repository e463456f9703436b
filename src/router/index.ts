// The router component's public face: what the composition root constructs and wires.
export { Router, resolveRouterOptions, type RouterOptions, type ResolvedRouterOptions } from './router.ts';
export { H_CODES, hcode, type HCode, type HCodeInfo } from './hcodes.ts';
export { formatRouterLine, type RouterLogFields } from './logline.ts';
export { decide, pickTarget, type RouteDecision } from './decide.ts';
export type { AppRoute, RouteTable, RouteTarget } from '../dynos/routes.ts';
export { HaproxyController, haproxyAvailable } from './haproxy/controller.ts';
export { prepareJail } from './haproxy/jail.ts';
export { CertTable, inspectCertificate, type ServedCert } from './certs.ts';
export { RouterMetrics, KEEP_MINUTES, MINUTE, mergeMinutes, type MinuteMetrics } from './metrics.ts';
export { lookupHost } from './hosts.ts';
export { RouterMetricsStore } from './metrics-store.ts';
