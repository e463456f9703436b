// Handing a build's trees to the tenant that runs it.
import { runCommand } from '../supervise/command.ts';

/**
 * Hands a tree to a user without following a link: the tree is the app's (a pushed `etc -> /etc`
 * must not chown the host's /etc). Not Node's recursive readdir, which descends into linked
 * directories; chown -R -h never traverses a link and changes the link itself.
 */
export async function chownTree(dirs: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
  if (process.getuid?.() !== 0) return;
  if (!user) throw new Error('the build\'s user is not known yet');
  await runCommand('chown', ['-R', '-h', '-P', `${user.uid}:${user.gid}`, '--', ...dirs]);
}
