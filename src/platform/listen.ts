// Binds a server to its port, turning "address in use" into a message that says what to change.
import type { Server } from 'node:net';

export function listen(server: Server, port: number, what: string, host = '0.0.0.0'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new Error(`the ${what} port ${port} is already in use; stop what holds it or pick another port (SLIPWAY_${what === 'API' ? 'API' : 'ROUTER'}_PORT).`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
