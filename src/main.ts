// The `slipway` executable (bin/slipway runs this file). The platform's own commands on this machine
// go to the platform (src/platform/): `server` (the composition root), `stack:make` (the install step
// runs it), `stack:prune`, `doctor` (checks the host), `backup:create`/`backup:restore` and
// `service:install`/`service:uninstall`, `swarm:down`, `swarm:firewall`. Every other word is a CLI command (src/cli/), an HTTP client of the API
// that never loads the platform: the platform is imported only for its commands.
import { main } from './cli/main.ts';
import { renderError } from './cli/errors.ts';

const PLATFORM_COMMANDS = new Set(['server', 'stack:make', 'stack:prune', 'doctor', 'backup:create', 'backup:restore', 'service:install', 'service:uninstall', 'swarm:down', 'swarm:firewall']);

async function platform(command: string, argv: string[]): Promise<number> {
  try {
    if (command === 'server') {
      const { runServer } = await import('./platform/run-server.ts');
      await runServer(argv);
      return 0;
    }
    if (command === 'backup:create' || command === 'backup:restore') {
      const { runBackupCommand } = await import('./platform/backup-command.ts');
      return await runBackupCommand(command, argv);
    }
    if (command === 'service:install' || command === 'service:uninstall') {
      const { runServiceCommand } = await import('./platform/service.ts');
      return await runServiceCommand(command, argv);
    }
    if (command === 'swarm:down' || command === 'swarm:firewall') {
      const { runSwarmDown, runSwarmFirewall } = await import('./platform/swarm.ts');
      return await (command === 'swarm:down' ? runSwarmDown(argv) : runSwarmFirewall(argv));
    }
    if (command === 'doctor') {
      const { runDoctor } = await import('./platform/doctor.ts');
      return await runDoctor(argv);
    }
    const { runStackMake, runStackPrune } = await import('./platform/stack-command.ts');
    return await (command === 'stack:make' ? runStackMake(argv) : runStackPrune(argv));
  } catch (err) {
    const { text, exitCode } = renderError(err, Boolean(process.env.SLIPWAY_DEBUG));
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
}

// A closed pipe (`slipway logs | head`) ends the command quietly, as for any Unix tool.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const [first = '', ...rest] = process.argv.slice(2);
// Set, not process.exit(): pending output flushes, and `server` keeps running on its own handles.
process.exitCode = PLATFORM_COMMANDS.has(first) ? await platform(first, rest) : await main(process.argv.slice(2));
