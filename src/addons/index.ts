// The add-on manager: provisions add-ons through their providers and attaches them to apps. An
// attachment is a config var prefix (DATABASE → DATABASE_URL); creating, attaching, detaching,
// destroying and rotating all change config vars, so each is a release with Heroku's description,
// written by the releases module in one transaction with the attachment rows (all or nothing), and the
// dyno manager restarts the app's dynos on it.
//
// Order of effects, so no config var ever points at something that does not exist: create stores the
// add-on as `provisioning` with its prepared names, creates the database, then attaches (vars + release
// + state in one transaction); destroy detaches first (vars gone in a release), marks the add-on
// `deprovisioning`, then drops the database and the row. A platform killed in between finishes the
// job at its next start (start()).
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Transaction } from 'kysely';
import { aad, type ConfigChangeOptions, type ReleaseRow, type Sealer } from '../releases/index.ts';
import type { Database, Db } from '../store/index.ts';
import { isUniqueViolation, now } from '../store/index.ts';
import type { AddonAttachmentsTable, AddonsTable } from '../store/schema.ts';
import {
  ADDON_NAME, attachmentVars, defaultAttachmentName, findService, generateAddonName, normalizeAttachmentName, resolvePlan,
} from './catalog.ts';
import { Backups, type BlobStoreApi } from './backups.ts';
import { AddonNetwork } from './network.ts';
import { PostgresProvider } from './postgresql/index.ts';
import { SchedulerProvider } from './scheduler/index.ts';
import { RedisProvider } from './redis/index.ts';
import { Supervisor } from './supervisor.ts';
import { AddonError, type AddonProvider, type InfoLine, type Plan, type Resource, type Service } from './types.ts';
import { componentLogger, type Logger } from '../logger/index.ts';

export * from './types.ts';
export { SERVICES, findService, hourlyPrice, monthlyPrice } from './catalog.ts';
export { DEFAULT_ADDONS_POOL } from './network.ts';
export { backupName, type BackupRow, type BlobStoreApi } from './backups.ts';
export { managedKeys } from './managed.ts';

export type AddonRow = AddonsTable;
export type AttachmentRow = AddonAttachmentsTable;
type User = { id: string; email: string };
type App = { id: string; name: string };
type Action = 'create' | 'update' | 'destroy';

/** What the add-on manager needs of the releases module. */
export interface ReleasesApi {
  setConfig(appId: string, user: User, changes: Record<string, string | null>, opts?: ConfigChangeOptions): Promise<ReleaseRow | undefined>;
  configVars(appId: string): Promise<Record<string, string>>;
}

export interface AddonsOptions {
  db: Db;
  releases: ReleasesApi;
  /** `<data dir>/addons`: every server's files. */
  dir: string;
  /** Unique per platform on the machine (names the network namespace). */
  id: string;
  /** Where the add-on network's /30 comes from. */
  pool: string;
  /** Where Postgres backups are kept. */
  blobs: BlobStoreApi;
  /** How often Postgres databases are measured against their plans' limits (and restricted when over). */
  checkIntervalMs: number;
  logger?: Logger;
  /** Encrypts the rows' `config` and `resource` (credentials) at rest, each bound to its add-on. */
  sealer: Sealer;
  /** Told of add-ons and attachments made, changed and removed; must return at once (app webhooks). */
  onChange?: { addon?(action: Action, row: AddonRow, user: User, previous?: Partial<AddonRow>): void; attachment?(action: Action, row: AttachmentRow, user: User): void };
}

export class Addons {
  readonly supervisor: Supervisor;
  readonly network: AddonNetwork;
  readonly backups: Backups;
  private readonly providers: Map<string, AddonProvider>;
  private unavailable?: string;
  private checkTimer?: NodeJS.Timeout;
  private checking = false;
  private networkUp?: Promise<void>;
  private readonly logger: Logger;

  constructor(private readonly o: AddonsOptions) {
    this.logger = componentLogger(o.logger, 'addons');
    this.supervisor = new Supervisor((line) => this.logger.warn(line));
    this.network = new AddonNetwork({ dir: o.dir, pool: o.pool, id: o.id });
    const servers = { network: this.network, supervisor: this.supervisor };
    const providers: AddonProvider[] = [
      new PostgresProvider({ dir: join(o.dir, 'postgresql'), ...servers }),
      new RedisProvider({ dir: join(o.dir, 'redis'), ...servers }),
      new SchedulerProvider(),
    ];
    this.providers = new Map(providers.map((p) => [p.name, p]));
    this.backups = new Backups({ db: o.db, addons: this, blobs: o.blobs, tmpDir: join(o.dir, 'tmp') });
  }

  /**
   * Sets up the add-on network, finishes what a killed platform left half-done, starts the servers of
   * every add-on, and puts back attachment vars a killed rotation left stale. Without root (network
   * namespaces, running servers as their own users) add-ons are unavailable and every request says why.
   */
  async start(): Promise<void> {
    this.unavailable = undefined;
    const swept = await this.backups.sweep();
    if (swept > 0) this.logger.info(`removed ${swept} backup dump${swept === 1 ? '' : 's'} a stopped platform left unfinished`);
    if (process.getuid?.() !== 0) {
      this.unavailable = 'Add-ons need the platform to run as root (their servers run in their own network namespace as their own users).';
      this.logger.warn(`unavailable: ${this.unavailable}`);
      return;
    }
    this.checkTimer = setInterval(() => void this.checkLimits(), this.o.checkIntervalMs);
    this.checkTimer.unref();
    const rows = (await this.o.db.selectFrom('addons').selectAll().execute()).map((r) => this.unseal(r));
    // The network comes up with the first add-on: a platform without any leaves no trace on the host.
    if (rows.length === 0) return;
    try {
      await this.ensureNetwork();
    } catch (err) {
      this.unavailable = (err as Error).message;
      this.logger.error(this.unavailable);
      return;
    }
    const byProvider = new Map<string, Resource[]>();
    for (const row of rows) {
      const r = this.resource(row);
      byProvider.set(r.service.provider, [...(byProvider.get(r.service.provider) ?? []), r]);
    }
    for (const [name, resources] of byProvider) {
      const provider = this.providers.get(name)!;
      provider.reserve?.(resources);
      // A server that cannot start is reported and the platform runs on: other apps need not wait for it.
      await provider.start(resources.filter((r) => rows.find((x) => x.id === r.addonId)?.state === 'provisioned'))
        .catch((err) => this.logger.error(`${name}: ${(err as Error).message}`));
    }
    for (const row of rows.filter((r) => r.state !== 'provisioned')) {
      this.logger.warn(`${row.name} was left ${row.state}; removing it`);
      await this.provider(row).deprovision(this.resource(row)).catch((err) => this.logger.error(`${row.name}: ${(err as Error).message}`));
      await this.o.db.deleteFrom('addons').where('id', '=', row.id).execute();
    }
    await this.reconcileVars();
    await this.o.db.updateTable('addon_backups').set({ status: 'failed', error: 'The platform stopped during the transfer.', finished_at: now() })
      .where('status', '=', 'running').execute();
  }

  /** Sets up the add-on network once; a failure is a 503 naming the cause, and the next call tries again. */
  private ensureNetwork(): Promise<void> {
    this.networkUp ??= (async () => {
      await mkdir(this.o.dir, { recursive: true, mode: 0o700 });
      await this.network.up();
    })().catch((err) => {
      this.networkUp = undefined;
      throw new AddonError(503, 'addons_unavailable', `Add-ons are unavailable: ${(err as Error).message}.`);
    });
    return this.networkUp;
  }

  /** One pass of plan-limit enforcement over the Postgres add-ons; passes never overlap. */
  async checkLimits(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const row of await this.list()) {
        const provider = this.provider(row);
        if (!provider.enforce || row.state !== 'provisioned') continue;
        const next = await provider.enforce(this.resource(row)).catch((err) => {
          this.logger.error(`${row.name}: measuring it failed: ${(err as Error).message}`);
          return undefined;
        });
        if (!next) continue;
        // The row may have changed meanwhile (a rotation): only the flag is taken from this pass.
        const fresh = await this.find(row.id);
        if (!fresh) continue;
        const resource = this.seal(fresh, 'resource', JSON.stringify({ ...JSON.parse(fresh.resource), restricted: next.restricted }));
        await this.o.db.updateTable('addons').set({ resource, updated_at: now() }).where('id', '=', row.id).execute();
        this.logger.info(`${row.name} ${next.restricted ? 'is over its plan\'s limits: access restricted to reading, DELETE and TRUNCATE' : 'is within its plan\'s limits again: full access restored'}`);
      }
    } finally {
      this.checking = false;
    }
  }

  /** Where the servers listen now: the network's address and every port a server holds. */
  servers(): { address: string; ports: number[] } { return { address: this.network.address, ports: [...this.providers.values()].flatMap((p) => p.serverPorts?.() ?? []) }; }

  async stop(): Promise<void> {
    if (this.checkTimer) clearInterval(this.checkTimer);
    try {
      await this.supervisor.stopAll();
    } finally {
      if (this.networkUp && (await this.networkUp.then(() => true, () => false))) {
        await this.network.down().catch((err) => this.logger.error((err as Error).message));
      }
    }
  }

  // ---- reads ----

  async list(appId?: string): Promise<AddonRow[]> {
    let q = this.o.db.selectFrom('addons').selectAll().where('state', '!=', 'deprovisioning');
    if (appId) q = q.where('app_id', '=', appId);
    return (await q.orderBy('created_at').execute()).map((r) => this.unseal(r));
  }

  /** Add-ons owned by the app or attached to it. */
  async listForApp(appId: string): Promise<AddonRow[]> {
    const attached = this.o.db.selectFrom('addon_attachments').select('addon_id').where('app_id', '=', appId);
    return (await this.o.db.selectFrom('addons').selectAll().where('state', '!=', 'deprovisioning')
      .where((eb) => eb.or([eb('app_id', '=', appId), eb('id', 'in', attached)])).orderBy('created_at').execute()).map((r) => this.unseal(r));
  }

  /** By id or name; with `appId`, also by an attachment name on that app (`DATABASE`). */
  async find(idOrName: string, appId?: string): Promise<AddonRow | undefined> {
    const direct = await this.o.db.selectFrom('addons').selectAll().where('state', '!=', 'deprovisioning')
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
    if (direct || !appId) return direct && this.unseal(direct);
    const name = normalizeAttachmentName(idOrName.replace(/_URL$/i, ''));
    if (!name) return undefined;
    const att = await this.o.db.selectFrom('addon_attachments').select('addon_id').where('app_id', '=', appId).where('name', '=', name).executeTakeFirst();
    return att ? this.find(att.addon_id) : undefined;
  }

  get(idOrName: string, appId?: string): Promise<AddonRow> {
    return this.find(idOrName, appId).then((a) => {
      if (!a) throw new AddonError(404, 'not_found', `Couldn't find that add-on (${idOrName}).`);
      return a;
    });
  }

  attachments(where: { addonId?: string; appId?: string } = {}): Promise<AttachmentRow[]> {
    let q = this.o.db.selectFrom('addon_attachments').selectAll();
    if (where.addonId) q = q.where('addon_id', '=', where.addonId);
    if (where.appId) q = q.where('app_id', '=', where.appId);
    return q.orderBy('created_at').execute();
  }

  async attachment(idOrName: string, appId?: string): Promise<AttachmentRow> {
    let q = this.o.db.selectFrom('addon_attachments').selectAll();
    const name = normalizeAttachmentName(idOrName.replace(/_URL$/i, '')) ?? idOrName;
    q = appId ? q.where('app_id', '=', appId).where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', name)])) : q.where('id', '=', idOrName);
    const row = await q.executeTakeFirst();
    if (!row) throw new AddonError(404, 'not_found', `Couldn't find that add-on attachment (${idOrName}).`);
    return row;
  }

  serviceOf(row: AddonRow): { service: Service; plan: Plan } {
    const service = findService(row.service)!;
    return { service, plan: service.plans.find((p) => p.name === row.plan)! };
  }

  // ---- changes ----

  async create(o: { app: App; user: User; plan: string; attachment?: string; name?: string; confirm?: string }): Promise<AddonRow> {
    this.checkAvailable();
    const { service, plan } = resolvePlan(o.plan);
    await this.ensureNetwork();
    let name = o.name;
    if (name !== undefined) {
      if (!ADDON_NAME.test(name)) throw new AddonError(422, 'invalid_params', `Name ${JSON.stringify(name)} is invalid: start with a letter, then letters, digits, - or _.`);
      if (await this.nameTaken(name)) throw new AddonError(422, 'invalid_params', `Name ${name} is already taken by another add-on; choose another with --name.`);
    } else {
      do name = generateAddonName(service);
      while (await this.nameTaken(name));
    }
    const attachment = await this.attachmentName(o.app, service, o.attachment, o.confirm);
    const t = now();
    const row: AddonRow = {
      id: randomUUID(), name, app_id: o.app.id, service: service.name, plan: plan.name, state: 'provisioning',
      config: '{}', resource: '{}', created_at: t, updated_at: t,
    };
    const provider = this.provider(row);
    row.resource = JSON.stringify(await provider.prepare({ addonId: row.id, addonName: name, service, plan }));
    await this.o.db.insertInto('addons').values({ ...row, config: this.seal(row, 'config', row.config), resource: this.seal(row, 'resource', row.resource) }).execute();
    try {
      const made = await provider.provision(this.resource(row));
      row.resource = JSON.stringify(made.state);
      row.config = JSON.stringify(made.config);
    } catch (err) {
      await this.o.db.deleteFrom('addons').where('id', '=', row.id).execute();
      throw new AddonError(503, 'provision_failed', `${service.name}:${plan.name} could not be provisioned, and nothing was created: ${(err as Error).message}`);
    }
    row.state = 'provisioned';
    try {
      await this.attachRelease(row, o.app, attachment, o.user, async (trx) => {
        await trx.updateTable('addons').set({ state: 'provisioned', resource: this.seal(row, 'resource', row.resource), config: this.seal(row, 'config', row.config), updated_at: now() }).where('id', '=', row.id).execute();
      });
    } catch (err) {
      await provider.deprovision(this.resource(row)).catch(() => undefined);
      await this.o.db.deleteFrom('addons').where('id', '=', row.id).execute();
      if (isUniqueViolation(err)) throw new AddonError(409, 'conflict', `Another add-on was attached to ${o.app.name} as ${attachment} at the same moment; nothing was created, try again.`);
      throw err;
    }
    this.o.onChange?.addon?.('create', row, o.user);
    return row;
  }

  async attach(o: { addon: AddonRow; app: App; user: User; name?: string; confirm?: string }): Promise<AttachmentRow> {
    const { service } = this.serviceOf(o.addon);
    const name = await this.attachmentName(o.app, service, o.name, o.confirm);
    return this.attachRelease(o.addon, o.app, name, o.user);
  }

  async detach(att: AttachmentRow, user: User): Promise<ReleaseRow | undefined> {
    const addon = await this.get(att.addon_id);
    const vars = Object.fromEntries(Object.keys(JSON.parse(addon.config) as Record<string, string>).map((k) => [`${att.name}_${k}`, null]));
    return this.o.releases.setConfig(att.app_id, user, vars, {
      description: `Detach ${att.name} (@ref:${addon.name})`,
      apply: async (trx) => void (await trx.deleteFrom('addon_attachments').where('id', '=', att.id).execute()),
    }).then((r) => { this.o.onChange?.attachment?.('destroy', att, user); return r; });
  }

  /** Detaches everywhere (a release per attachment), then removes the add-on and its data. */
  async destroy(addon: AddonRow, user: User, force = false): Promise<void> {
    const atts = await this.attachments({ addonId: addon.id });
    const foreign = atts.filter((a) => a.app_id !== addon.app_id);
    if (foreign.length > 0 && !force) {
      throw new AddonError(422, 'invalid_params', `${addon.name} is attached to other apps too; destroy it with --force, or detach it from them first.`);
    }
    for (const att of atts) await this.detach(att, user);
    await this.o.db.updateTable('addons').set({ state: 'deprovisioning', updated_at: now() }).where('id', '=', addon.id).execute();
    await this.provider(addon).deprovision(this.resource(addon));
    await this.o.db.deleteFrom('addons').where('id', '=', addon.id).execute();
    this.o.onChange?.addon?.('destroy', { ...addon, state: 'deprovisioning' }, user);
  }

  /** An app is being destroyed: its add-ons go (detached from other apps first), its foreign attachments too. */
  async destroyForApp(appId: string, user: User): Promise<void> {
    for (const addon of await this.list(appId)) await this.destroy(addon, user, true);
    await this.o.db.deleteFrom('addon_attachments').where('app_id', '=', appId).execute();
  }

  /** Moves the add-on to another plan of its service, keeping its data; the vars follow if its URL moved. */
  async changePlan(addon: AddonRow, planSpec: string, user: User): Promise<AddonRow> {
    this.checkAvailable();
    const spec = planSpec.includes(':') ? planSpec : `${addon.service}:${planSpec}`;
    const { service, plan } = resolvePlan(spec);
    if (service.name !== addon.service) {
      throw new AddonError(422, 'invalid_params', `${addon.name} is a ${addon.service} add-on; it can only change to another ${addon.service} plan.`);
    }
    if (plan.name === addon.plan) throw new AddonError(422, 'invalid_params', `${addon.name} is already on ${service.name}:${plan.name}.`);
    const made = await this.provider(addon).changePlan(this.resource(addon), plan);
    const updated = { ...addon, plan: plan.name, resource: JSON.stringify(made.state), config: JSON.stringify(made.config), updated_at: now() };
    await this.o.db.updateTable('addons').set({ plan: updated.plan, resource: this.seal(addon, 'resource', updated.resource), config: this.seal(addon, 'config', updated.config), updated_at: updated.updated_at }).where('id', '=', addon.id).execute();
    await this.publish(updated, user, `Upgrade @ref:${addon.name} to ${service.name}:${plan.name}`);
    this.o.onChange?.addon?.('update', updated, user, { plan: addon.plan });
    return updated;
  }

  /** New credentials; every attached app gets the new vars in a release (`Update DATABASE by heroku-postgresql`). */
  async rotateCredentials(addon: AddonRow, user: User): Promise<void> {
    this.checkAvailable();
    const made = await this.provider(addon).rotateCredentials(this.resource(addon));
    const updated = { ...addon, resource: JSON.stringify(made.state), config: JSON.stringify(made.config), updated_at: now() };
    await this.o.db.updateTable('addons').set({ resource: this.seal(addon, 'resource', updated.resource), config: this.seal(addon, 'config', updated.config), updated_at: updated.updated_at }).where('id', '=', addon.id).execute();
    await this.publish(updated, user);
  }

  async info(addon: AddonRow): Promise<InfoLine[]> {
    this.checkAvailable();
    return this.provider(addon).info(this.resource(addon));
  }

  resource(row: AddonRow): Resource {
    const { service, plan } = this.serviceOf(row);
    return { addonId: row.id, addonName: row.name, service, plan, state: JSON.parse(row.resource), createdAt: row.created_at };
  }

  /** Another platform process leads and runs the add-on servers: requests here say so until start(). */
  standBy(): void {
    this.unavailable = 'Add-ons are served by the leading platform process (their servers run on its machine): use its API for add-ons while this one stands by.';
  }

  checkAvailable(): void {
    if (this.unavailable) throw new AddonError(503, 'addons_unavailable', this.unavailable);
  }

  // ---- internals ----

  /** A stored row with its credentials decrypted (every read goes through here). */
  private unseal(row: AddonRow): AddonRow {
    return { ...row, config: this.o.sealer.decrypt(row.config, aad.addon(row, 'config')), resource: this.o.sealer.decrypt(row.resource, aad.addon(row, 'resource')) };
  }

  /** A column's JSON as stored: encrypted, bound to the add-on. */
  private seal(row: Pick<AddonRow, 'id' | 'app_id'>, column: 'config' | 'resource', json: string): string {
    return this.o.sealer.encrypt(json, aad.addon(row, column));
  }

  /** The provider that serves the add-on's service. */
  provider(row: AddonRow): AddonProvider {
    return this.providers.get(this.serviceOf(row).service.provider)!;
  }

  private async nameTaken(name: string): Promise<boolean> {
    return !!(await this.o.db.selectFrom('addons').select('id').where('name', '=', name).executeTakeFirst());
  }

  /** The attachment name to use on `app`: the asked one (upper-cased), else the service's default. */
  private async attachmentName(app: App, service: Service, asked: string | undefined, confirm: string | undefined): Promise<string> {
    const taken = new Set((await this.attachments({ appId: app.id })).map((a) => a.name));
    if (asked === undefined || asked === '') return defaultAttachmentName(service, taken);
    const name = normalizeAttachmentName(asked);
    if (!name) throw new AddonError(422, 'invalid_params', `Attachment name ${JSON.stringify(asked)} is invalid: use letters, digits and underscores, starting with a letter.`);
    if (taken.has(name) && confirm !== app.name) {
      throw new AddonError(409, 'confirmation_required', `${name} is already an attachment on ${app.name}; confirm with the app name (${app.name}) to replace it.`);
    }
    return name;
  }

  /** One release: the attachment's vars set and its row written (replacing one of the same name). */
  private async attachRelease(addon: AddonRow, app: App, name: string, user: User, more?: (trx: Transaction<Database>) => Promise<void>): Promise<AttachmentRow> {
    const t = now();
    const row: AttachmentRow = { id: randomUUID(), addon_id: addon.id, app_id: app.id, name, namespace: null, created_at: t, updated_at: t };
    const write = async (trx: Transaction<Database>) => {
      await more?.(trx);
      await trx.deleteFrom('addon_attachments').where('app_id', '=', app.id).where('name', '=', name).execute();
      await trx.insertInto('addon_attachments').values(row).execute();
    };
    // An add-on without config vars (Scheduler) changes no config, so no release: its rows alone are written.
    if (Object.keys(JSON.parse(addon.config)).length === 0) await this.o.db.transaction().execute(write);
    else await this.o.releases.setConfig(app.id, user, attachmentVars(name, JSON.parse(addon.config)), { description: `Attach ${name} (@ref:${addon.name})`, apply: write });
    this.o.onChange?.attachment?.('create', row, user);
    return row;
  }

  /** Writes the add-on's current vars to every attachment: one release each (`Update X by service`). */
  private async publish(addon: AddonRow, user: User, description?: string): Promise<void> {
    for (const att of await this.attachments({ addonId: addon.id })) {
      await this.o.releases.setConfig(att.app_id, user, attachmentVars(att.name, JSON.parse(addon.config)), {
        description: description ?? `Update ${att.name} by ${addon.service}`,
      });
    }
  }

  /** Attachment vars that differ from their add-on's config (a rotation cut short) are set again. */
  private async reconcileVars(): Promise<void> {
    const system = { id: 'slipway', email: 'addons@slipway.local' };
    for (const att of await this.attachments()) {
      const addon = await this.find(att.addon_id);
      if (!addon) continue;
      const want = attachmentVars(att.name, JSON.parse(addon.config));
      const have = await this.o.releases.configVars(att.app_id);
      // Only vars still there: one the user unset on purpose stays unset.
      const stale = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== undefined && have[k] !== v));
      if (Object.keys(stale).length > 0) {
        const owner = await this.o.db.selectFrom('apps').innerJoin('accounts', 'accounts.id', 'apps.owner_id')
          .select(['accounts.id', 'accounts.email']).where('apps.id', '=', att.app_id).executeTakeFirst();
        await this.o.releases.setConfig(att.app_id, owner ?? system, stale, { description: `Update ${att.name} by ${addon.service}` });
      }
    }
  }
}
