// Heroku's crash-restart policy for formation dynos (Common Runtime, documented 2019 wording, see
// docs/decisions.md, "Crash restart back-off"): the first crash is restarted at once, then cool-offs of
// up to 20, 40, 60, 180 and 320 minutes, then every 320 minutes. Pure.

const MINUTES = [0, 20, 40, 60, 180, 320];

/** Delay before the restart that follows the `crashes`-th crash in a row (1-based). */
export function crashRestartDelayMs(crashes: number, minuteMs = 60_000): number {
  const i = Math.min(Math.max(crashes, 1), MINUTES.length) - 1;
  return MINUTES[i]! * minuteMs;
}
