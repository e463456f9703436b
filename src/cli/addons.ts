// What the add-on commands share: the API shapes they read, Heroku's price and state words, resolving
// a user-typed add-on (name, id, `app::name` or an attachment like DATABASE), and the attachment whose
// URL pg:* and redis:* commands act on.

import type { ApiClient } from './api.ts';
import { CliError } from './errors.ts';

export interface Addon {
  id: string;
  name: string;
  app: { id?: string; name: string };
  addon_service: { name: string };
  plan: { name: string; price?: { cents: number; unit?: string } };
  state: string;
  config_vars?: string[];
  provision_message?: string | null;
  created_at?: string;
}

export interface Attachment {
  id: string;
  name: string;
  addon: { id: string; name: string; app?: { name: string } };
  app: { name: string };
}

export interface Release {
  version: number;
}

const STATES: Record<string, string> = { provisioned: 'created', provisioning: 'creating', deprovisioning: 'destroying', deprovisioned: 'errored' };
export const stateWord = (s: string) => STATES[s] ?? s;

export function hourly(cents: number): string {
  return cents === 0 ? 'free' : `~$${(cents / 100 / 720).toFixed(3)}/hour`;
}
export function monthly(cents: number): string {
  if (cents === 0) return 'free';
  return cents % 100 === 0 ? `$${cents / 100}/month` : `$${(cents / 100).toFixed(2)}/month`;
}
/** `~$0.007/hour (max $5/month)`, as addons:create prints it. */
export const priceText = (cents: number) => (cents === 0 ? 'free' : `${hourly(cents)} (max ${monthly(cents)})`);

/** The plan's short name: `heroku-postgresql:essential-0` → `essential-0`. */
export const shortPlan = (name: string) => name.replace(/^[^:]*:/, '');

/** A user-typed add-on: its name or id, `app::name`, or an attachment name on `app`. */
export async function resolveAddon(api: ApiClient, ref: string, app?: string): Promise<Addon> {
  const found = await api.post<Addon[]>('/actions/addons/resolve', { addon: ref, app: app ?? null });
  if (!found[0]) throw new CliError(`Couldn't find that add-on (${ref}).`);
  return found[0];
}

export async function newestVersion(api: ApiClient, app: string): Promise<string | undefined> {
  const r = await api.get<Release[]>(`/apps/${encodeURIComponent(app)}/releases`, { headers: { Range: 'version ..; max=1, order=desc' }, partial: true });
  return r[0] ? `v${r[0].version}` : undefined;
}

/**
 * The attachment of a `service` add-on a pg:/redis: command means: the one named (DATABASE,
 * HEROKU_POSTGRESQL_RED_URL, or an add-on name), else the primary one, else the only one.
 */
export async function pickAttachment(api: ApiClient, app: string, service: string, primary: string, ref?: string): Promise<{ attachment: Attachment; addon: Addon; configVar: string }> {
  const atts = await api.get<Attachment[]>(`/apps/${encodeURIComponent(app)}/addon-attachments`);
  const addons = await api.get<Addon[]>(`/apps/${encodeURIComponent(app)}/addons`);
  const ofService = atts.filter((a) => addons.find((x) => x.id === a.addon.id)?.addon_service.name === service);
  let att: Attachment | undefined;
  if (ref) {
    const name = ref.toUpperCase().replace(/-/g, '_').replace(/_URL$/, '');
    att = ofService.find((a) => a.name === name || a.addon.name === ref || a.addon.id === ref);
    if (!att) throw new CliError(`Unknown database: ${ref}. Valid options are: ${ofService.map((a) => `${a.name}_URL`).join(', ') || 'none'}.`);
  } else {
    att = ofService.find((a) => a.name === primary) ?? (ofService.length === 1 ? ofService[0] : undefined);
    if (!att && ofService.length === 0) throw new CliError(`${app} has no ${service} databases.`);
    if (!att) throw new CliError(`${app} has several ${service} add-ons; name one: ${ofService.map((a) => `${a.name}_URL`).join(', ')}.`);
  }
  return { attachment: att, addon: addons.find((x) => x.id === att!.addon.id)!, configVar: `${att.name}_URL` };
}
