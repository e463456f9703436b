// Failed sign-ins per client address: after MAX_FAILURES within WINDOW_MS an address is refused (429)
// until its oldest failure in the window ages out, so passwords cannot be guessed at speed. A success
// does not clear the count (an attacker holding one account could otherwise reset it). At most
// MAX_ADDRESSES addresses are tracked; past that the ones with the oldest last failure are forgotten.
export const MAX_FAILURES = 10;
export const WINDOW_MS = 5 * 60_000;
const MAX_ADDRESSES = 10_000;

export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  retryAfterMs(address: string): number {
    const recent = this.recent(address);
    return recent.length < MAX_FAILURES ? 0 : recent[0]! + WINDOW_MS - this.now();
  }

  failed(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.delete(address); // re-inserted last: the map's order is by last failure
    this.failures.set(address, recent.slice(-MAX_FAILURES));
    if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(address: string): number[] {
    const since = this.now() - WINDOW_MS;
    return (this.failures.get(address) ?? []).filter((t) => t > since);
  }
}
