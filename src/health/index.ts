// The platform's own health (the operator's view of it): liveness, readiness and Prometheus metrics on
// the API port (endpoints.ts), the data disk and its high-water mark (disk.ts), and `slipway doctor`'s
// checks of the host (doctor.ts).
export { HealthEndpoints, type HealthEndpointsOptions } from './endpoints.ts';
export { PlatformMetrics, type MetricSources } from './metrics.ts';
export { runChecks, type Check, type Readiness } from './readiness.ts';
export { diskUse, overHighWater, parseHighWater, type DiskUse } from './disk.ts';
