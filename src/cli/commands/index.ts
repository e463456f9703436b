// Every CLI command, for dispatch and generated help. Adding a command = one file + one line here.

import type { Command } from '../command.ts';
import { create as accountsCreate, disable as accountsDisable, enable as accountsEnable, list as accounts } from './accounts/index.ts';
import addons from './addons/index.ts';
import addonsAttach from './addons/attach.ts';
import addonsCreate from './addons/create.ts';
import addonsDestroy from './addons/destroy.ts';
import addonsDetach from './addons/detach.ts';
import addonsInfo from './addons/info.ts';
import { plans as addonsPlans, services as addonsServices } from './addons/services.ts';
import addonsUpgrade from './addons/upgrade.ts';
import { add as accessAdd, list as access, remove as accessRemove } from './access/index.ts';
import apps from './apps/index.ts';
import appsRename from './apps/rename.ts';
import appsTransfer from './apps/transfer.ts';
import { create as authorizationsCreate, list as authorizations, revoke as authorizationsRevoke, rotate as authorizationsRotate } from './authorizations/index.ts';
import { addMember as membersAdd, create as teamsCreate, list as teams, members, removeMember as membersRemove } from './teams/index.ts';
import appsCreate from './apps/create.ts';
import appsDestroy from './apps/destroy.ts';
import appsInfo from './apps/info.ts';
import appsOpen from './apps/open.ts';
import login from './auth/login.ts';
import logout from './auth/logout.ts';
import authToken from './auth/token.ts';
import authWhoami from './auth/whoami.ts';
import buildpacks from './buildpacks/index.ts';
import buildpacksAdd from './buildpacks/add.ts';
import buildpacksClear from './buildpacks/clear.ts';
import buildpacksRemove from './buildpacks/remove.ts';
import buildpacksSet from './buildpacks/set.ts';
import builds from './builds/index.ts';
import buildsInfo from './builds/info.ts';
import buildsOutput from './builds/output.ts';
import buildsCachePurge from './builds/purge.ts';
import buildsCreate from './builds/create.ts';
import certs from './certs/index.ts';
import certsAdd from './certs/add.ts';
import certsRemove from './certs/remove.ts';
import config from './config/index.ts';
import configGet from './config/get.ts';
import configSet from './config/set.ts';
import configUnset from './config/unset.ts';
import domains from './domains/index.ts';
import domainsAdd from './domains/add.ts';
import domainsRemove from './domains/remove.ts';
import features from './features/index.ts';
import { disable as featuresDisable, enable as featuresEnable } from './features/toggle.ts';
import drains from './drains/index.ts';
import drainsAdd from './drains/add.ts';
import drainsRemove from './drains/remove.ts';
import gitCredentials from './git/credentials.ts';
import gitRemote from './git/remote.ts';
import help from './help.ts';
import logs from './logs.ts';
import maintenance from './maintenance/index.ts';
import { off as maintenanceOff, on as maintenanceOn } from './maintenance/toggle.ts';
import { capture as pgBackupsCapture, list as pgBackups, restore as pgBackupsRestore } from './pg/backups.ts';
import pgCredentialsRotate from './pg/credentials-rotate.ts';
import pgCredentialsUrl from './pg/credentials-url.ts';
import pgInfo from './pg/info.ts';
import pgPsql from './pg/psql.ts';
import pipelinesPromote from './pipelines/promote.ts';
import * as pipelines from './pipelines/index.ts';
import * as webhooks from './webhooks/index.ts';
import * as scheduler from './scheduler/index.ts';
import * as reviewapps from './reviewapps/index.ts';
import appsSetup from './apps/setup.ts';
import ps from './ps/index.ts';
import psRestart from './ps/restart.ts';
import psScale from './ps/scale.ts';
import psStop from './ps/stop.ts';
import psType from './ps/type.ts';
import { cli as redisCli, credentials as redisCredentials, info as redisInfo } from './redis/index.ts';
import releases from './releases/index.ts';
import releasesInfo from './releases/info.ts';
import releasesOutput from './releases/output.ts';
import releasesRetry from './releases/retry.ts';
import releasesRollback from './releases/rollback.ts';
import run from './run/index.ts';
import runDetached from './run/detached.ts';
import version from './version.ts';

export const commands: readonly Command[] = [
  accounts, accountsCreate, accountsDisable, accountsEnable, access, accessAdd, accessRemove,
  authorizations, authorizationsCreate, authorizationsRevoke, authorizationsRotate,
  teams, teamsCreate, members, membersAdd, membersRemove, appsRename, appsTransfer,
  addons, addonsAttach, addonsCreate, addonsDestroy, addonsDetach, addonsInfo, addonsPlans, addonsServices, addonsUpgrade,
  apps, appsCreate, appsDestroy, appsInfo, appsOpen, appsSetup,
  login, logout, authToken, authWhoami,
  buildpacks, buildpacksAdd, buildpacksClear, buildpacksRemove, buildpacksSet,
  builds, buildsInfo, buildsOutput,
  buildsCachePurge, buildsCreate,
  certs, certsAdd, certsRemove,
  config, configGet, configSet, configUnset,
  domains, domainsAdd, domainsRemove,
  drains, drainsAdd, drainsRemove,
  features, featuresEnable, featuresDisable,
  gitCredentials, gitRemote,
  help,
  logs,
  maintenance, maintenanceOn, maintenanceOff,
  pgInfo, pgPsql, pgCredentialsRotate, pgCredentialsUrl, pgBackups, pgBackupsCapture, pgBackupsRestore,
  pipelines.list, pipelines.create, pipelines.add, pipelines.info, pipelines.diff, pipelines.remove, pipelines.rename, pipelines.destroy, pipelinesPromote,
  reviewapps.enable, reviewapps.disable,
  scheduler.list, scheduler.add, scheduler.update, scheduler.remove,
  webhooks.list, webhooks.add, webhooks.info, webhooks.update, webhooks.remove, webhooks.deliveries, webhooks.deliveryInfo, webhooks.events, webhooks.eventInfo,
  ps, psRestart, psScale, psStop, psType,
  redisInfo, redisCli, redisCredentials,
  releases, releasesInfo, releasesOutput, releasesRetry, releasesRollback,
  run, runDetached,
  version,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.id === name) ?? commands.find((c) => c.aliases.includes(name));
}
