// Confirming a destructive command: `--confirm APP`, or typing the app name on a terminal.

import { CliError } from './errors.ts';
import { prompt } from './prompt.ts';
import type { Ui } from './ux.ts';

/**
 * Resolves when the user confirmed acting on `app`; `what` completes "This will ..." (e.g. `delete demo
 * including all add-ons`). Off a terminal only a matching --confirm will do: nobody is there to type.
 */
export async function confirmApp(ui: Ui, app: string, confirm: string | undefined, what: string): Promise<void> {
  if (confirm !== undefined) {
    if (confirm === app) return;
    throw new CliError(`Confirmation ${confirm} did not match ${app}. Aborted.`);
  }
  if (!process.stdin.isTTY) {
    throw new CliError(`This will ${what}.\nTo proceed, re-run this command with --confirm ${app}`);
  }
  ui.warn(`WARNING: This will ${what}.\nTo proceed, type ${app} or re-run this command with --confirm ${app}`);
  const answer = await prompt('\n> ', process.stdin, ui.stderr);
  if (answer.trim() !== app) throw new CliError(`Confirmation did not match ${app}. Aborted.`);
}
