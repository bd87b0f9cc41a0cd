/**
 * HTTP/2 receive windows for a grpc-js server: large enough that a client sends a whole request
 * (up to the server's largest accepted message) without waiting for WINDOW_UPDATE frames.
 *
 * Why: HTTP/2 starts every stream and the connection with a 64 KiB window (RFC 9113 §6.9.2), and
 * grpc-js's server offers no option to change it. A 150 KB SendMessages request then crosses the
 * loopback in about five rounds of "send 32 KiB, wait for WINDOW_UPDATE", each costing both sides
 * syscalls and wake-ups: bench:ep measured 15-20 % less main-thread CPU per envelope with the
 * windows widened. The window does not bound memory here: grpc-js reads every DATA frame as it
 * arrives, and the largest message is bounded by `grpc.max_receive_message_length`.
 *
 * How: grpc-js (1.14) builds its http2 server in a private `createHttp2Server` from its private
 * `commonServerOptions`. This module wraps the first (to enlarge each new session's connection
 * window) and adds `initialWindowSize` to the second (for each stream). Both are checked at
 * startup: if a grpc-js upgrade renames them, creating the server throws instead of silently
 * losing the setting, and a test checks the windows a client sees.
 */
import type { Http2Server, Http2Session } from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** Largest window HTTP/2 allows (2^31 - 1). */
const MAX_WINDOW = 2 ** 31 - 1;
/** Bytes of gRPC framing before each message (compressed flag and length). */
const GRPC_PREFIX = 5;
/** Requests one connection can carry in full at once before a window update is needed. */
const REQUESTS_PER_CONNECTION_WINDOW = 4;

interface GrpcServerInternals {
  createHttp2Server(credentials: unknown): Http2Server;
  commonServerOptions: { settings?: Record<string, unknown> };
}

/** The stream and connection windows `widenReceiveWindows` sets for a message limit. */
export function receiveWindows(maxMessageBytes: number): { stream: number; connection: number } {
  const stream = Math.min(MAX_WINDOW, maxMessageBytes + GRPC_PREFIX);
  return { stream, connection: Math.min(MAX_WINDOW, stream * REQUESTS_PER_CONNECTION_WINDOW) };
}

/**
 * Makes `server`'s streams and connections accept a request of `maxMessageBytes` in one go.
 * Call before binding. @throws Error when the grpc-js internals it relies on are missing
 */
export function widenReceiveWindows(server: grpc.Server, maxMessageBytes: number): void {
  const internals = server as unknown as Partial<GrpcServerInternals>;
  const create = internals.createHttp2Server;
  const common = internals.commonServerOptions;
  if (typeof create !== 'function' || typeof common !== 'object' || common === null) {
    throw new Error(
      'this grpc-js version has no createHttp2Server/commonServerOptions; update receive-windows.ts',
    );
  }
  const { stream, connection } = receiveWindows(maxMessageBytes);
  common.settings = { ...common.settings, initialWindowSize: stream };
  internals.createHttp2Server = (credentials: unknown) => {
    const http2Server = create.call(server, credentials);
    http2Server.on('session', (session: Http2Session) => {
      session.setLocalWindowSize(connection);
    });
    return http2Server;
  };
}
