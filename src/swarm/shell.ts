// Shell quoting for what the runner sources and runs (its files are read by bash, never by a tenant's words).

/** Single-quotes a value for the shell. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `NAME='value'` lines a shell sources (names that are not shell variable names are left out). */
export function envFile(vars: Record<string, string>): string {
  return Object.entries(vars).filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)).map(([k, v]) => `${k}=${shellQuote(v)}\n`).join('');
}
