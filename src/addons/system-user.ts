// The system user an add-on server runs as (Debian's packages create `postgres` and `redis`): its uid
// and gid, for the files the server owns. Shared by every provider.
import { runCommand as run } from '../supervise/command.ts';

export async function systemUser(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', user]), run('id', ['-g', user])]).catch(() => {
    throw new Error(`the ${user} user does not exist (install Debian's ${user === 'postgres' ? 'postgresql-15' : 'redis-server'} package)`);
  });
  return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
}
