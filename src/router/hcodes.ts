// Heroku's router error codes as a table: what each code logs (`desc`, `at`, an optional `sock=`
// prefix) and the status the client gets. Pure data, shared by the Node data path and, later, the
// HAProxy one. Retired codes (H16, H23) and codes whose logged text is unconfirmed (H32-H34, H83)
// are left out; as Heroku's error-codes article lists them.

export type RouterLevel = 'info' | 'warning' | 'error';

export interface HCodeInfo {
  /** Exactly what goes inside `desc="..."`. */
  desc: string;
  /** Status the client gets and the line logs; `undefined` logs `status=` empty (H24). */
  status: number | undefined;
  at: RouterLevel;
  /** `sock=` prefix that some codes carry before `at=`. */
  sock?: 'client' | 'backend';
}

export const H_CODES = {
  H10: { desc: 'App crashed', status: 503, at: 'error' },
  H11: { desc: 'Backlog too deep', status: 503, at: 'error' },
  H12: { desc: 'Request timeout', status: 503, at: 'error' },
  H13: { desc: 'Connection closed without response', status: 503, at: 'error' },
  H14: { desc: 'No web processes running', status: 503, at: 'error' },
  H15: { desc: 'Idle connection', status: 503, at: 'error' },
  H17: { desc: 'Poorly formatted HTTP response', status: 503, at: 'error' },
  H18: { desc: 'Server Request Interrupted', status: 503, at: 'error', sock: 'backend' },
  H19: { desc: 'Backend connection timeout', status: 503, at: 'error' },
  H20: { desc: 'App boot timeout', status: 503, at: 'error' },
  H21: { desc: 'Backend connection refused', status: 503, at: 'error' },
  H22: { desc: 'Connection limit reached', status: 503, at: 'error' },
  H24: { desc: 'Forced close', status: undefined, at: 'error' },
  H26: { desc: 'Request Error', status: 400, at: 'error' },
  H27: { desc: 'Client Request Interrupted', status: 499, at: 'warning', sock: 'client' },
  H28: { desc: 'Client Connection Idle', status: 499, at: 'warning' },
  H80: { desc: 'Maintenance mode', status: 503, at: 'info' },
  H81: { desc: 'Blank app', status: 503, at: 'info' },
  H99: { desc: 'Platform error', status: 503, at: 'error' },
} as const satisfies Record<string, HCodeInfo>;

export type HCode = keyof typeof H_CODES;

export function hcode(code: HCode): HCodeInfo {
  return H_CODES[code];
}
