// Add-on data in backups. Taken from the running servers, over their unix sockets as the platform's
// own admin: each PostgreSQL cluster whole with pg_dumpall (its roles with their passwords, databases
// and data: an app's DATABASE_URL works again unchanged), each Redis with `redis-cli --rdb` (a
// consistent snapshot through replication). Each Redis server's config (its ACL passwords) and TLS key
// go with the archive's sealed secrets; the add-on network's record (its address is in config vars) in
// clear. Restored, a Redis dir gets its RDB back as the base of its append-only file (what Redis
// loads at start); a cluster's dump waits under addons/restore/ and the cluster loads it
// once at the start that initializes it (addons/postgresql/cluster.ts).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BackupError, type AddonDumper, type AddonRestorer } from '../backup/index.ts';
import { postgresBinDir, restoreDumpFile } from '../addons/postgresql/cluster.ts';
import { systemUser } from '../addons/system-user.ts';
import type { PlatformConfig } from './config.ts';

const run = promisify(execFile);
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** The secret files of the add-on servers (relative to the data dir), sealed with the archive's secrets. */
export async function addonSecretPaths(dataDir: string): Promise<string[]> {
  const redis = join(dataDir, 'addons', 'redis');
  const out: string[] = [];
  for (const id of await list(redis)) {
    for (const f of ['redis.conf', 'tls.key', 'tls.crt']) if (existsSync(join(redis, id, f))) out.push(`addons/redis/${id}/${f}`);
  }
  return out;
}

export function addonDumper(config: PlatformConfig): AddonDumper {
  const addons = join(config.dataDir, 'addons');
  return async (dir) => {
    const dumped: Record<string, { provider: string; file: string }> = {};
    if (existsSync(join(addons, 'network.json'))) {
      await copyFile(join(addons, 'network.json'), join(dir, 'network.json'));
    }
    for (const name of await list(join(addons, 'postgresql'))) {
      const runDir = join(addons, 'postgresql', name, 'run');
      const socket = (await list(runDir)).find((f) => /^\.s\.PGSQL\.\d+$/.test(f));
      if (!socket) throw new BackupError(`the PostgreSQL server ${name} is not running, so its data cannot be dumped: start the platform (slipway server), then back up`);
      const file = `postgresql-${name}.sql`;
      await run(join(postgresBinDir(), 'pg_dumpall'), ['-h', runDir, '-p', socket.split('.').pop()!, '-U', 'postgres', '-f', join(dir, file)], { env: ENV, maxBuffer: 1 << 20 })
        .catch((err: { stderr?: string; message: string }) => { throw new BackupError(`dumping PostgreSQL ${name} failed: ${(err.stderr || err.message).trim()}`); });
      dumped[`postgresql/${name}`] = { provider: 'postgresql', file };
    }
    for (const id of await list(join(addons, 'redis'))) {
      const d = join(addons, 'redis', id);
      const pass = /^user slipway on >(\S+)/m.exec(await readFile(join(d, 'redis.conf'), 'utf8').catch(() => ''))?.[1];
      if (!pass || !existsSync(join(d, 'redis.sock'))) throw new BackupError(`the Redis server of add-on ${id} is not running, so its data cannot be dumped: start the platform (slipway server), then back up`);
      const file = `redis-${id}.rdb`;
      await run('redis-cli', ['-s', join(d, 'redis.sock'), '--user', 'slipway', '--no-auth-warning', '--rdb', join(dir, file)], { env: { ...ENV, REDISCLI_AUTH: pass }, maxBuffer: 1 << 20 })
        .catch((err: { stderr?: string; message: string }) => { throw new BackupError(`dumping Redis ${id} failed: ${(err.stderr || err.message).trim()}`); });
      dumped[`redis/${id}`] = { provider: 'redis', file };
    }
    return dumped;
  };
}

export function addonRestorer(): AddonRestorer {
  return async (dataDir, addons, dir) => {
    const root = join(dataDir, 'addons');
    await mkdir(root, { recursive: true, mode: 0o700 });
    if (existsSync(join(dir, 'network.json'))) await copyFile(join(dir, 'network.json'), join(root, 'network.json'));
    for (const [key, a] of Object.entries(addons)) {
      const [provider, name] = key.split('/') as [string, string];
      if (!/^[A-Za-z0-9_-]+$/.test(name ?? '') || !/^[A-Za-z0-9_.-]+$/.test(a.file) || a.provider !== provider) throw new BackupError(`the manifest names an add-on entry it should not (${key})`);
      if (provider === 'postgresql') {
        const dest = restoreDumpFile(join(root, 'postgresql', name));
        await mkdir(join(dest, '..'), { recursive: true, mode: 0o700 });
        await copyFile(join(dir, a.file), dest);
      } else if (provider === 'redis') {
        const d = join(root, 'redis', name);
        await mkdir(d, { recursive: true, mode: 0o700 });
        // With `appendonly yes` Redis reads its append-only file, not dump.rdb: the snapshot becomes the
        // base of a multi-part AOF (an RDB base is one Redis itself writes), with an empty increment.
        const aof = join(d, 'appendonlydir');
        await mkdir(aof, { recursive: true, mode: 0o700 });
        await copyFile(join(dir, a.file), join(aof, 'appendonly.aof.1.base.rdb'));
        await writeFile(join(aof, 'appendonly.aof.1.incr.aof'), '');
        await writeFile(join(aof, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
        await copyFile(join(dir, a.file), join(d, 'dump.rdb'));
        const { uid, gid } = await systemUser('redis');
        for (const f of ['', ...(await readdir(d)), ...(await readdir(aof)).map((x) => join('appendonlydir', x))]) await chown(join(d, f), uid, gid);
      }
    }
  };
}
