// One deploy per app at a time. A turn is held from when it is taken until the promise it was taken
// with settles, so a git push can hold its app past its build, until git has moved the ref (git moves
// it only after the pre-receive hook, and the next push must not build on a branch about to move).
// Apps queue independently; a queue holds one promise per app and forgets the app once it is idle.
export class AppQueue {
  private readonly last = new Map<string, Promise<void>>();

  /**
   * Takes the app's next turn, held until `until` settles. Returns what must end before the turn
   * starts (the turns taken before it), or undefined when the app is free now.
   */
  enter(appId: string, until: Promise<unknown>): Promise<void> | undefined {
    const previous = this.last.get(appId);
    const settled = until.then(() => undefined, () => undefined);
    const mine = previous ? previous.then(() => settled) : settled;
    this.last.set(appId, mine);
    void mine.then(() => { if (this.last.get(appId) === mine) this.last.delete(appId); });
    return previous;
  }

  /** Runs `work` in the app's next turn, holding the app until it ends. */
  async exclusive<T>(appId: string, work: () => Promise<T>): Promise<T> {
    let done!: () => void;
    const previous = this.enter(appId, new Promise<void>((r) => { done = r; }));
    try {
      if (previous) await previous;
      return await work();
    } finally {
      done();
    }
  }
}
