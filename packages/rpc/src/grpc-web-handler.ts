/**
 * A gRPC-web gateway as a node:http request handler: it takes gRPC-web POSTs at
 * `/<package.Service>/<Method>` (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md) and
 * forwards each to the gRPC server with a grpc-js client whose serializers pass bytes through, so
 * it needs no knowledge of the services and never decodes a message. It relays request metadata
 * (`authorization` and the like), the `grpc-timeout` deadline, response headers, every message,
 * and the status with its message and `grpc-status-details-bin` in the trailers frame.
 *
 * Every method is forwarded as a server-streaming call: on the wire a unary call is the same
 * exchange (one request message, response messages, trailers), so unary and server-streaming
 * methods both work. Client- and bidi-streaming cannot be expressed in gRPC-web.
 *
 * Answers of its own: HTTP 4xx (plain text) to what is not a gRPC-web request (wrong method,
 * path, content type, a browser origin not allowed); a trailers-only gRPC status to a gRPC-web
 * request it cannot forward (RESOURCE_EXHAUSTED beyond `maxRequestBytes`, INVALID_ARGUMENT for a
 * malformed body or timeout, UNIMPLEMENTED for a service no target serves).
 *
 * Security: CORS only decides which browser origins may read answers; the services still
 * authenticate every call. Requests without an `Origin` header (non-browser clients) are served.
 * Behind this gateway every call comes from the gateway's address, so do not combine it with a
 * service setting that trusts loopback callers (open registration from loopback) unless the
 * gateway itself only listens on loopback. Put TLS in front of it (or pass TLS `credentials` for
 * the hop to the services); cookies are not forwarded.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { Code } from '@proof-messenger/errors';
import {
  base64Decode,
  base64Encode,
  COMPRESSED_FLAG,
  DATA_FLAG,
  decodeTimeout,
  encodeFrame,
  encodeTrailers,
  GRPC_WEB_CONTENT_TYPE,
  parseFrames,
  percentEncode,
  TRAILER_FLAG,
} from './internal/grpc-web-codec.ts';

export interface GrpcWebHandlerOptions {
  /**
   * `host:port` of the gRPC server behind every service, or a map from a service's full name
   * (`proofmessenger.v1.KeyManagementService`) to the `host:port` serving it.
   */
  readonly target: string | Readonly<Record<string, string>>;
  /**
   * Browser origins (`https://app.example.com`) allowed to call, or `'*'` for any. Default none:
   * only callers that send no `Origin` header (servers, scripts) are served.
   */
  readonly allowedOrigins?: readonly string[] | '*';
  /** Largest request body, frame header included (default 4 MiB + 5, the services' own limit). */
  readonly maxRequestBytes?: number;
  /** Credentials of the hop to the services (default insecure: loopback or a trusted network). */
  readonly credentials?: grpc.ChannelCredentials;
}

/** A mounted gateway: hand it requests, close it to drop its connections to the services. */
export interface GrpcWebHandler {
  /** Answers one request (any path; non-gRPC-web ones get a 4xx). */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Closes the channels to the services; calls in flight end with UNAVAILABLE or CANCELLED. */
  close(): void;
}

/** The default `maxRequestBytes`: the services' 4 MiB message limit and one frame header. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024 + 5;

const PATH = /^\/([A-Za-z_][\w.]*)\/([A-Za-z_]\w*)$/;
const CONTENT_TYPE = /^application\/grpc-web(\+proto)?\s*(;.*)?$/i;
/** Request headers that are HTTP's or gRPC-web's own, not call metadata. */
const NOT_METADATA = new Set([
  'accept',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'cookie',
  'dnt',
  'host',
  'keep-alive',
  'origin',
  'pragma',
  'priority',
  'proxy-authorization',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-grpc-web',
  'x-user-agent',
]);
/** Response metadata that must not be relayed as-is. */
const NOT_RELAYED = new Set(['content-type', 'date', 'connection', 'transfer-encoding', 'te']);
const EXPOSED = ['grpc-status', 'grpc-message', 'grpc-status-details-bin'];

const passThrough = (bytes: Buffer): Buffer => bytes;

/** Builds the gateway handler; see the module comment for what it answers. */
export function createGrpcWebHandler(options: GrpcWebHandlerOptions): GrpcWebHandler {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const credentials = options.credentials ?? grpc.credentials.createInsecure();
  const clients = new Map<string, grpc.Client>();
  let closed = false;

  const clientFor = (service: string): grpc.Client | undefined => {
    const { target } = options;
    const address =
      typeof target === 'string'
        ? target
        : Object.hasOwn(target, service)
          ? target[service]
          : undefined;
    if (address === undefined) return undefined;
    let client = clients.get(address);
    if (client === undefined) {
      client = new grpc.Client(address, credentials);
      clients.set(address, client);
    }
    return client;
  };

  const originAllowed = (origin: string | undefined): boolean =>
    origin === undefined ||
    options.allowedOrigins === '*' ||
    (options.allowedOrigins ?? []).includes(origin);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!originAllowed(origin)) {
      plain(res, 403, `origin ${origin} is not allowed to call this gateway`);
      req.resume();
      return;
    }
    const cors: OutgoingHttpHeaders =
      origin === undefined
        ? {}
        : {
            'access-control-allow-origin': origin,
            'access-control-expose-headers': EXPOSED.join(', '),
            vary: 'Origin',
          };
    if (req.method === 'OPTIONS') {
      preflight(req, res, cors);
      return;
    }
    if (req.method !== 'POST') {
      plain(res, 405, 'gRPC-web calls are POST requests', { ...cors, allow: 'POST, OPTIONS' });
      req.resume();
      return;
    }
    const path = PATH.exec((req.url ?? '').split('?')[0] ?? '');
    if (path === null) {
      plain(res, 404, 'not a gRPC-web path: expected /<package.Service>/<Method>', cors);
      req.resume();
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!CONTENT_TYPE.test(contentType)) {
      plain(
        res,
        415,
        contentType.startsWith('application/grpc-web-text')
          ? 'application/grpc-web-text is not supported; send application/grpc-web+proto'
          : `content type must be ${GRPC_WEB_CONTENT_TYPE}, got "${contentType}"`,
        cors,
      );
      req.resume();
      return;
    }
    const [, service = '', method = ''] = path;
    const client = closed ? undefined : clientFor(service);
    if (client === undefined) {
      trailersOnly(
        res,
        cors,
        closed ? Code.UNAVAILABLE : Code.UNIMPLEMENTED,
        closed ? 'the gateway is closing' : `the gateway serves no service ${service}`,
      );
      req.resume();
      return;
    }
    const announced = Number(req.headers['content-length'] ?? 0);
    if (announced > maxRequestBytes) {
      tooLarge(req, res, cors, maxRequestBytes);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      received += chunk.length;
      if (received > maxRequestBytes) {
        refused = true;
        tooLarge(req, res, cors, maxRequestBytes);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (refused) return;
      forward(req, res, cors, client, `/${service}/${method}`, Buffer.concat(chunks));
    });
  }

  return {
    handle,
    close: () => {
      closed = true;
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  cors: OutgoingHttpHeaders,
  client: grpc.Client,
  path: string,
  body: Buffer,
): void {
  let message: Buffer;
  try {
    const frames = parseFrames(body);
    const [frame] = frames;
    if (frame === undefined || frames.length !== 1 || frame.flag !== DATA_FLAG) {
      const compressed = frame !== undefined && (frame.flag & COMPRESSED_FLAG) !== 0;
      throw new RangeError(
        compressed
          ? 'compressed gRPC-web frames are not supported'
          : 'a gRPC-web request body must be exactly one uncompressed data frame',
      );
    }
    message = Buffer.from(frame.payload.buffer, frame.payload.byteOffset, frame.payload.length);
  } catch (error) {
    trailersOnly(res, cors, Code.INVALID_ARGUMENT, (error as Error).message);
    return;
  }
  const metadata = new grpc.Metadata();
  const callOptions: grpc.CallOptions = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || NOT_METADATA.has(name) || name.startsWith('sec-')) continue;
    if (name === 'grpc-timeout') {
      const ms = decodeTimeout(String(value));
      if (ms === undefined) {
        trailersOnly(res, cors, Code.INVALID_ARGUMENT, `grpc-timeout "${value}" is not a timeout`);
        return;
      }
      callOptions.deadline = Date.now() + ms;
      continue;
    }
    if (name.startsWith('grpc-') || name.startsWith('access-control-')) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (name.endsWith('-bin')) {
        try {
          metadata.add(name, Buffer.from(base64Decode(one)));
        } catch {
          trailersOnly(res, cors, Code.INVALID_ARGUMENT, `header ${name} is not base64`);
          return;
        }
      } else {
        metadata.add(name, one);
      }
    }
  }

  const call = client.makeServerStreamRequest(
    path,
    passThrough,
    passThrough,
    message,
    metadata,
    callOptions,
  );
  let headersSent = false;
  let responseHeaders: OutgoingHttpHeaders = {};
  let finished = false;
  const sendHeaders = () => {
    if (headersSent) return;
    headersSent = true;
    res.writeHead(200, { ...responseHeaders, ...cors, 'content-type': GRPC_WEB_CONTENT_TYPE });
  };
  call.on('metadata', (initial: grpc.Metadata) => {
    responseHeaders = relayedHeaders(initial);
    const names = Object.keys(responseHeaders);
    if (cors['access-control-expose-headers'] !== undefined && names.length > 0) {
      cors['access-control-expose-headers'] = [...EXPOSED, ...names].join(', ');
    }
  });
  call.on('data', (data: Buffer) => {
    sendHeaders();
    if (!res.write(encodeFrame(DATA_FLAG, data))) {
      call.pause();
      res.once('drain', () => call.resume());
    }
  });
  // grpc-js reports a non-OK status both as 'error' and as 'status'; the status is what is relayed.
  call.on('error', () => {});
  call.on('status', (status: grpc.StatusObject) => {
    finished = true;
    sendHeaders();
    const trailers: [string, string][] = [
      ['grpc-status', String(status.code)],
      ['grpc-message', percentEncode(status.details)],
    ];
    for (const [name, values] of Object.entries(status.metadata.toJSON())) {
      if (NOT_RELAYED.has(name) || name === 'grpc-status' || name === 'grpc-message') continue;
      for (const value of values) {
        trailers.push([name, typeof value === 'string' ? value : base64Encode(value)]);
      }
    }
    res.end(encodeFrame(TRAILER_FLAG, encodeTrailers(trailers)));
  });
  res.on('close', () => {
    if (!finished) call.cancel();
  });
}

function relayedHeaders(metadata: grpc.Metadata): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(metadata.toJSON())) {
    if (NOT_RELAYED.has(name) || name.startsWith('grpc-') || name.startsWith(':')) continue;
    headers[name] = values.map((value) =>
      typeof value === 'string' ? value : base64Encode(value),
    );
  }
  return headers;
}

function preflight(req: IncomingMessage, res: ServerResponse, cors: OutgoingHttpHeaders): void {
  req.resume();
  if (req.headers['access-control-request-method'] !== 'POST') {
    plain(res, 400, 'a CORS preflight for gRPC-web asks for POST', cors);
    return;
  }
  res.writeHead(204, {
    ...cors,
    'access-control-allow-methods': 'POST',
    'access-control-allow-headers':
      req.headers['access-control-request-headers'] ??
      'content-type, x-grpc-web, x-user-agent, grpc-timeout, authorization',
    'access-control-max-age': '600',
  });
  res.end();
}

function trailersOnly(
  res: ServerResponse,
  cors: OutgoingHttpHeaders,
  code: Code,
  message: string,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(200, {
    ...cors,
    'content-type': GRPC_WEB_CONTENT_TYPE,
    'grpc-status': String(code),
    'grpc-message': percentEncode(message),
  });
  res.end();
}

function tooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  cors: OutgoingHttpHeaders,
  max: number,
): void {
  // Answer at once and close the connection: the rest of the body is never read.
  res.setHeader('connection', 'close');
  trailersOnly(res, cors, Code.RESOURCE_EXHAUSTED, `request larger than ${max} bytes`);
  res.on('finish', () => req.destroy());
}

function plain(
  res: ServerResponse,
  status: number,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}
