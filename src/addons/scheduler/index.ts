// Heroku Scheduler as an add-on (`addons:create scheduler:standard`): no server and no config vars; it
// marks the app as one whose jobs (scheduler/) may run. Provisioning and removal only record it.
import type { AddonProvider, InfoLine, Provisioned, Resource, ResourceState } from '../types.ts';

export class SchedulerProvider implements AddonProvider {
  readonly name = 'scheduler';
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async prepare(): Promise<ResourceState> { return {}; }
  async provision(r: Resource): Promise<Provisioned> { return { state: r.state, config: {} }; }
  async deprovision(): Promise<void> {}
  async changePlan(r: Resource): Promise<Provisioned> { return { state: r.state, config: {} }; }
  async rotateCredentials(r: Resource): Promise<Provisioned> { return { state: r.state, config: {} }; }
  async info(): Promise<InfoLine[]> { return [['Jobs', 'slipway scheduler -a APP lists them; scheduler:add adds one']]; }
}
