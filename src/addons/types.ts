// The add-on component's public face: services and plans (the catalogue), and the one interface every
// provider implements. A provider owns real servers (PostgreSQL, Redis) and the resources inside them;
// the add-on manager (index.ts) owns the rows, attachments, config vars and releases around them.
import { PlatformError } from '../errors.ts';

export interface Plan {
  /** Short name, e.g. `essential-0`; the API's plan name is `<service>:<plan>`. */
  name: string;
  humanName: string;
  /** Monthly price in cents (0 = free). */
  cents: number;
  default?: boolean;
  /** Provider-specific limits (connections, storage, memory); the provider reads them. */
  limits: Record<string, number>;
  /** Which kind of server the plan gets: one shared by many add-ons, or one of its own. */
  tenancy: 'shared' | 'dedicated';
}

export interface Service {
  /** `heroku-postgresql`, `heroku-redis`, `redistogo`. */
  name: string;
  humanName: string;
  /** Prefix of generated add-on names: `postgresql` → `postgresql-curved-12345`. */
  shortName: string;
  /** Which provider serves it (its folder under src/addons). */
  provider: string;
  /** Attachment name of the first add-on of this service on an app (`DATABASE`). */
  primaryAttachment: string;
  /** Prefix of further attachments, followed by `_<COLOR>` (`HEROKU_POSTGRESQL`). */
  colorPrefix: string;
  /** The user name in the URL (Redis To Go's `redistogo`); empty for none. */
  urlUser?: string;
  /** Connections take TLS (`rediss://`), as Heroku's Key-Value Store requires; Redis To Go's did not. */
  tls?: boolean;
  plans: Plan[];
}

/** What a provider keeps about one add-on: its own JSON, stored on the add-on's row. */
export type ResourceState = Record<string, unknown>;

export interface Resource {
  addonId: string;
  addonName: string;
  service: Service;
  plan: Plan;
  state: ResourceState;
  /** When the add-on was created (ISO 8601), for info. */
  createdAt?: string;
}

export interface Provisioned {
  state: ResourceState;
  /** Config the add-on exposes, by suffix: `{URL: "postgres://..."}` becomes `<ATTACHMENT>_URL`. */
  config: Record<string, string>;
  message?: string;
}

/** A key/value line for pg:info and redis:info. */
export type InfoLine = [string, string];

export interface AddonProvider {
  readonly name: string;
  /** Brings up the servers the given add-ons live on (platform start); idempotent. */
  start(resources: Resource[]): Promise<void>;
  /** Stops every server this provider started. */
  stop(): Promise<void>;
  /**
   * Chooses the resource's names, password and port without creating anything, so the record can be
   * stored before provisioning and a platform killed halfway can clean up from it.
   */
  prepare(r: Omit<Resource, 'state'>): Promise<ResourceState>;
  /** Creates the prepared resource; on failure nothing of it remains. */
  provision(r: Resource): Promise<Provisioned>;
  /** Removes the resource and its data; idempotent (a half-provisioned one is cleaned up too). */
  deprovision(r: Resource): Promise<void>;
  /** Moves the resource to another plan of the same service, keeping its data. */
  changePlan(r: Resource, to: Plan): Promise<Provisioned>;
  /** New password (existing connections are dropped); the config carries the new URL. */
  rotateCredentials(r: Resource): Promise<Provisioned>;
  /** Live facts for `pg:info` / `redis:info`. */
  info(r: Resource): Promise<InfoLine[]>;

  // Abilities only some providers have; the add-on manager asks for them by presence, never by class.

  /** Told every add-on it holds, half-done ones too, before start(): the names and ports they use stay taken. */
  reserve?(resources: Resource[]): void;
  /**
   * Measures the resource against its plan's limits and restricts or restores access when that
   * changed (run every few minutes); the new state then, else undefined.
   */
  enforce?(r: Resource): Promise<(ResourceState & { restricted?: boolean }) | undefined>;
  /** The ports its servers listen on at the add-on network's address (the swarm runtime relays them). */
  serverPorts?(): number[];
  /** Backups: a dump of the resource's data into `file`, and a restore of one over it. */
  dump?(r: Resource, file: string): Promise<void>;
  restore?(r: Resource, file: string): Promise<void>;
}

/** The add-on component's refusals, each with its status and Heroku's id (the API answers them as they are). */
export class AddonError extends PlatformError {}
