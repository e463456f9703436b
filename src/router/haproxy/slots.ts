// Server slot allocation, pure: which HAProxy server slot (`s1`…`s100` of the app's backend) serves
// which up web dyno, and the runtime API commands that move slots. No I/O: the controller sends the
// commands and keeps one SlotTable in step with the running worker.
//   - An arriving dyno takes a free slot (the one free longest, so a slot rests as long as it can).
//   - A leaving dyno's slot goes to maintenance at once (no new request; were it the app's last dyno
//     the backup — the Node router — answers; requests in flight finish) and drains DRAIN_MS before it
//     may serve another dyno. With no free slot left, the one draining longest is taken.
//   - A slot is never re-pointed in place: connections pooled to its old dyno would be reused.
//   - When a config is written, dynos keep their slots and new ones take the lowest unused.
import { backendName, SLOTS_PER_APP, type HaproxyApp } from './config.ts';

/** How long a leaving dyno's slot rests (its requests in flight finishing) before it serves another dyno. */
export const DRAIN_MS = 2000;

export interface Slot {
  name: string;
  state: 'free' | 'ready' | 'draining';
  /** `host:port` of the dyno it serves (ready) or served (draining). */
  addr?: string;
  dyno?: string;
  /** When it entered its state (free slots are reused oldest first). */
  since: number;
}

/** An up web dyno as the route table lists it. */
export interface UpDyno { dyno: string; host: string; port: number }

export class SlotTable {
  /** Per backend, its slots as the running worker has them. */
  private readonly slots = new Map<string, Slot[]>();

  /** The servers a config being written gives the app: dynos keep their slot; new ones take the lowest unused. */
  assign(appId: string, up: readonly UpDyno[]): HaproxyApp['servers'] {
    const slots = this.slots.get(backendName(appId));
    const taken = new Set<string>();
    const servers = up.map((u) => {
      const slot = slots?.find((x) => x.state === 'ready' && x.addr === `${u.host}:${u.port}`)?.name;
      if (slot) taken.add(slot);
      return { dyno: u.dyno, host: u.host, port: u.port, slot };
    });
    let next = 1;
    for (const sv of servers) {
      if (sv.slot) continue;
      while (taken.has(`s${next}`)) next++;
      sv.slot = `s${next}`;
      taken.add(sv.slot);
    }
    return servers as HaproxyApp['servers'];
  }

  /** After a (re)load: the worker's slots are exactly what the config said (the rest free). */
  loaded(apps: readonly Pick<HaproxyApp, 'id' | 'servers'>[]): void {
    this.slots.clear();
    for (const a of apps) {
      const slots: Slot[] = [];
      for (let i = 1; i <= SLOTS_PER_APP; i++) slots.push({ name: `s${i}`, state: 'free', since: 0 });
      for (const sv of a.servers) Object.assign(slots[Number(sv.slot.slice(1)) - 1]!, { state: 'ready', addr: `${sv.host}:${sv.port}`, dyno: sv.dyno });
      this.slots.set(backendName(a.id), slots);
    }
  }

  /**
   * Moves slots to follow the dynos now up (per app id; apps not named are gone: their slots drain).
   * Returns the runtime API commands that do it, and whether a slot is draining (call again after
   * DRAIN_MS to free it).
   */
  update(up: ReadonlyMap<string, readonly UpDyno[]>, now: number): { commands: string[]; draining: boolean } {
    const commands: string[] = [];
    let draining = false;
    const present = new Set([...up.keys()].map(backendName));
    const wantedBy = new Map([...up].map(([id, dynos]) => [backendName(id), new Map(dynos.map((d) => [`${d.host}:${d.port}`, d.dyno]))]));
    for (const [backend, slots] of this.slots) {
      const wanted = wantedBy.get(backend) ?? new Map<string, string>();
      for (const slot of slots) {
        if (slot.state === 'ready' && !wanted.has(slot.addr!)) {
          commands.push(`set server ${backend}/${slot.name} state maint`);
          Object.assign(slot, { state: 'draining', since: now });
        } else if (slot.state === 'ready') {
          slot.dyno = wanted.get(slot.addr!);
        }
        if (slot.state === 'draining' && now - slot.since >= DRAIN_MS) Object.assign(slot, { state: 'free', since: now });
        if (slot.state === 'draining') draining = true;
      }
      if (!present.has(backend)) continue;
      for (const [addr, dyno] of wanted) {
        if (slots.some((x) => x.state === 'ready' && x.addr === addr)) continue;
        const free = oldest(slots, 'free') ?? oldest(slots, 'draining');
        if (!free) break;
        const [host, port] = addr.split(':');
        commands.push(`set server ${backend}/${free.name} addr ${host} port ${port}`, `set server ${backend}/${free.name} state ready`);
        Object.assign(free, { state: 'ready', addr, dyno, since: now });
      }
    }
    return { commands, draining };
  }

  /** The dyno a slot serves, for the log line (`dyno=web.1`). */
  dynoOf(backend: string, slot: string): string | undefined {
    return this.slots.get(backend)?.[Number(slot.slice(1)) - 1]?.dyno; // slot `sN` is entry N-1
  }

  /** A backend's slots (for tests and diagnostics). */
  of(appId: string): readonly Readonly<Slot>[] {
    return this.slots.get(backendName(appId)) ?? [];
  }
}

function oldest(slots: Slot[], state: Slot['state']): Slot | undefined {
  let best: Slot | undefined;
  for (const s of slots) if (s.state === state && (!best || s.since < best.since)) best = s;
  return best;
}
