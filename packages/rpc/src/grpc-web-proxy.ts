/**
 * A standalone gRPC-web gateway: a node:http server around `createGrpcWebHandler`, so browsers
 * (which cannot speak HTTP/2 gRPC) reach the services. Plain HTTP: put TLS in front of it (a
 * reverse proxy or load balancer) anywhere but loopback. See grpc-web-handler.ts for what it
 * forwards and answers, and docs/browser.md for deployment notes.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGrpcWebHandler, type GrpcWebHandlerOptions } from './grpc-web-handler.ts';

export interface GrpcWebProxyOptions extends GrpcWebHandlerOptions {
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port to listen on (default 0: any free port, see `port`). */
  readonly port?: number;
}

/** A listening gateway. */
export interface GrpcWebProxy {
  /** The port it listens on. */
  readonly port: number;
  /** `http://host:port`, the `baseUrl` for a GrpcWebTransport. */
  readonly url: string;
  /** Stops listening, ends open connections and closes the channels to the services. */
  close(): Promise<void>;
}

/** Starts a gRPC-web gateway; resolves once it listens. */
export async function createGrpcWebProxy(options: GrpcWebProxyOptions): Promise<GrpcWebProxy> {
  const handler = createGrpcWebHandler(options);
  const server = createServer((req, res) => handler.handle(req, res));
  const host = options.host ?? '127.0.0.1';
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      const closing = once(server, 'close');
      server.close();
      server.closeAllConnections();
      handler.close();
      await closing;
    },
  };
}
