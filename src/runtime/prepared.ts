// Things made ahead of the start that needs them (network namespaces, network.ts), so a start takes one
// instead of making one. The pool never gives a thing out twice: what a container used is destroyed
// with it, never returned here, so nothing of one tenant can reach the next.
//
// Bound and policy: at most `size` idle things. take() hands out the oldest idle one (or none when the
// pool is empty: the caller makes its own, as without a pool); fill() (the caller's, once the start that
// took one is done, so the filling does not compete with it for the CPU) makes one thing at a time
// until the pool is full again; a failure to make one stops the filling until the next fill(), so a
// broken host never spins. drain() stops the filling, waits for the thing being made and discards
// every idle one; the next fill() starts again.
export interface PreparedPoolOptions<T> {
  /** Most idle things kept; 0 disables the pool. */
  size: number;
  make(): Promise<T>;
  /** Removes a thing nobody took (drain) or one found broken. */
  discard(item: T): Promise<void>;
  /** Whether an idle thing is still whole (an operator or a sweep may have removed it meanwhile). */
  intact(item: T): Promise<boolean>;
  /** Where failures of the filler go: it never throws. */
  onError(err: Error): void;
}

export class PreparedPool<T> {
  private readonly idle: T[] = [];
  private filling?: Promise<void>;
  /** Bumped by drain(): a fill begun before it keeps nothing. */
  private generation = 0;

  constructor(private readonly o: PreparedPoolOptions<T>) {}

  /** Idle things right now. */
  get size(): number {
    return this.idle.length;
  }

  /** An idle thing that is still whole, or undefined. */
  async take(): Promise<T | undefined> {
    for (let item = this.idle.shift(); item !== undefined; item = this.idle.shift()) {
      if (await this.o.intact(item).catch(() => false)) return item;
      await this.o.discard(item).catch((err: Error) => this.o.onError(err));
    }
    return undefined;
  }

  /** Resolves once the pool is full, or its filling has stopped (tests, measurements). */
  async filled(): Promise<void> {
    this.fill();
    await this.filling;
  }

  /** Starts making things until the pool is full, in the background (never throws). */
  fill(): void {
    if (this.filling || this.o.size <= 0) return;
    const generation = this.generation;
    this.filling = (async () => {
      while (this.idle.length < this.o.size && generation === this.generation) {
        let item: T;
        try {
          item = await this.o.make();
        } catch (err) {
          this.o.onError(err as Error);
          return;
        }
        if (generation !== this.generation) {
          await this.o.discard(item).catch((err: Error) => this.o.onError(err));
          return;
        }
        this.idle.push(item);
      }
    })().finally(() => (this.filling = undefined));
  }

  /** Stops filling and discards every idle thing; the pool fills again at the next take(). */
  async drain(): Promise<void> {
    this.generation++;
    await this.filling;
    for (const item of this.idle.splice(0)) await this.o.discard(item).catch((err: Error) => this.o.onError(err));
  }
}
