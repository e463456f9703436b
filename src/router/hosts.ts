// Hostnames as the router matches them: an exact custom domain first, then a wildcard domain
// (`*.example.com`), which stands for exactly one more label, as a wildcard certificate does.

/** The wildcard domain that would cover `hostname` (`a.example.com` → `*.example.com`), if any. */
export function wildcardFor(hostname: string): string | undefined {
  const dot = hostname.indexOf('.');
  if (dot <= 0 || hostname.indexOf('.', dot + 1) < 0) return undefined; // `*.com` is no domain of anyone's
  return `*${hostname.slice(dot)}`;
}

/** The app for a Host: its exact entry, else the wildcard entry covering it. */
export function lookupHost<T>(table: ReadonlyMap<string, T>, hostname: string): T | undefined {
  const exact = table.get(hostname);
  if (exact !== undefined) return exact;
  const wildcard = wildcardFor(hostname);
  return wildcard ? table.get(wildcard) : undefined;
}
