// The logs component's public face: what the composition root constructs and other components import.
export { Logplex, resolveLogplexOptions, type LogplexOptions, type ResolvedLogplexOptions } from './logplex.ts';
export { LineAssembler } from './lines.ts';
export { formatLine, formatTimestamp, matchesFilter, splitMessage } from './format.ts';
export { tailOverflowMessage } from './subscription.ts';
export type { LogFilter, LogLine, LogReader, LogSession, LogSessionOptions, LogSink, LogSource } from './types.ts';
export { Drains, DrainError, type DrainRow } from './drains/index.ts';
export { SharedLogs } from './shared.ts';
