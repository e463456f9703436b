// Turns the tools' one-line-per-package output (debootstrap, apt-get) into a few progress lines, and
// formats durations, for the stack maker (stack.ts). Pure.

export interface Condenser {
  line(l: string): void;
  flush(): void;
}

/**
 * Condenses one-line-per-package output into `<Verb> ... (n)` counters, emitted every `every`
 * packages and when the phase changes. `classify` names a line's phase (a per-package line), says
 * to drop it (`null`), or lets it pass through (`undefined`, printed as it came).
 */
function condenser(
  emit: (line: string) => void, every: number, classify: (l: string) => string | null | undefined, clean: (l: string) => string,
): Condenser {
  let phase = '';
  let count = 0;
  let emitted = 0;
  const flush = (): void => {
    if (phase && count !== emitted) emit(`${phase} ... (${count})`);
    phase = '';
    count = 0;
    emitted = 0;
  };
  return {
    line(raw: string) {
      const l = raw.trimEnd();
      if (!l) return;
      const verb = classify(l);
      if (verb === null) return;
      if (verb === undefined) {
        flush();
        emit(clean(l));
        return;
      }
      if (verb !== phase) {
        flush();
        phase = verb;
      }
      count++;
      if (count % every === 0) {
        emit(`${phase} ... (${count})`);
        emitted = count;
      }
    },
    flush,
  };
}

/**
 * debootstrap's output: `Retrieving <pkg> <version>` / `Unpacking <pkg>...` per package become
 * counters; `Validating` lines are dropped (each package is validated right after it is retrieved);
 * every other line passes through without its `I: ` prefix.
 */
export function createProgressCondenser(emit: (line: string) => void, every = 100): Condenser {
  // Phase lines such as `Unpacking required packages...` have more words and must pass through.
  const perPackage = /^I: (?:(Retrieving|Validating) \S+ \S+|(Extracting|Unpacking|Configuring) \S+\.\.\.)$/;
  return condenser(emit, every, (l) => {
    const m = perPackage.exec(l);
    const verb = m?.[1] ?? m?.[2];
    if (verb === 'Validating') return null;
    return verb;
  }, (l) => l.replace(/^I: /, ''));
}

/**
 * apt-get upgrade's output: `Get:` lines count as `Retrieving`, `Unpacking` lines as `Upgrading`;
 * dpkg's bookkeeping (configuring, triggers, the package name list) and maintainer scripts' chatter
 * are dropped, so the counters run uninterrupted. Anything else (errors above all) passes through.
 */
export function createAptCondenser(emit: (line: string) => void, every = 25): Condenser {
  const noise = new RegExp('^(?:' + [
    '\\(Reading database', 'Preparing to unpack', 'Setting up ', 'Processing triggers', 'Selecting previously',
    'debconf: ', 'Reading package lists', 'Building dependency tree', 'Reading state information',
    'Calculating upgrade', 'The following packages will be upgraded', 'After this operation', 'Updating certificates',
    'Running hooks', 'done\\.', '\\d+ added, \\d+ removed', 'rehash: ', 'Hit:', 'Ign:', 'invoke-rc\\.d: ',
    'Current default time zone', 'Local time is now', 'Universal Time is now', "Run 'dpkg-reconfigure", ' ',
  ].join('|') + ')');
  return condenser(emit, every, (l) => {
    if (/^Get:\d+ /.test(l)) return 'Retrieving';
    if (/^Unpacking \S+ /.test(l)) return 'Upgrading';
    return noise.test(l) ? null : undefined;
  }, (l) => l);
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}
