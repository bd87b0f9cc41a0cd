/**
 * A TCP proxy in front of the test Redis, so a test can take Redis away from one client without
 * touching the server others use: `freeze` keeps the connection but drops what the client sends
 * (a hung server: commands time out), `close` refuses connections and cuts the open ones (a
 * server that is down: the client reconnects to a closed port), `open` serves again on the same
 * port.
 */
import { once } from 'node:events';
import net from 'node:net';

/** A running proxy; see the module comment. */
export interface RedisProxy {
  /** `redis://127.0.0.1:<port>` of the proxy. */
  readonly url: string;
  freeze(): void;
  close(): Promise<void>;
  open(): Promise<void>;
}

/** Starts a proxy on a free port in front of `target` (`redis://host:port`). */
export async function startRedisProxy(target: string): Promise<RedisProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let frozen = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port || 6379), hostname);
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.pipe(client);
    for (const socket of [client, upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(socket);
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  let listening = true;
  return {
    url: `redis://127.0.0.1:${address.port}`,
    freeze: () => {
      frozen = true;
    },
    close: async () => {
      if (!listening) return;
      listening = false;
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    open: async () => {
      frozen = false;
      if (listening) return;
      listening = true;
      server.listen(address.port, '127.0.0.1');
      await once(server, 'listening');
    },
  };
}
