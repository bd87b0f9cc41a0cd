/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, for child processes that must come
 * back on the same address after a restart (so port 0 cannot be used). Another process could take
 * it between this check and the child's bind; the child then fails to start and says so.
 */
import { createServer } from 'node:net';

/** Binds port 0 on 127.0.0.1, reads the port the kernel chose, and releases it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was assigned'))));
    });
  });
}
