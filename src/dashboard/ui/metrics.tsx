// Metrics (drawn in the next step).
import type { TabProps } from './app-page.tsx';

export function Metrics(_: TabProps) {
  return <section class="card"><p>Metrics</p></section>;
}
