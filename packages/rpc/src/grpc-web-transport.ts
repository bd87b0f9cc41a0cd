/**
 * The browser transport: unary calls as gRPC-web over `fetch`
 * (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md), to a gRPC-web gateway such as
 * `createGrpcWebProxy` (or Envoy's grpc_web filter). It sends `application/grpc-web+proto` with one
 * length-prefixed frame, reads the response's data frame and the trailers frame (flag 0x80), and
 * also understands trailers-only answers whose status sits in the HTTP headers.
 *
 * Failures reject with the same ProofMessengerError the grpc-js transport produces: the status and
 * its `grpc-status-details-bin` go through the shared `decodeStatus`. Statuses made here (the
 * signal aborted: CANCELLED; the timeout passed: DEADLINE_EXCEEDED; no connection: UNAVAILABLE;
 * an HTTP error without a gRPC status: mapped from the HTTP code as the spec says) have no detail.
 *
 * Uses only web globals (fetch, AbortController, TextEncoder/TextDecoder, atob), so it runs in
 * browsers, Deno, Bun and Node alike. Caveat: the whole response is read before it is decoded,
 * which suits unary calls; server streaming is not offered.
 */
import {
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import type { CallOptions } from './call-options.ts';
import {
  COMPRESSED_FLAG,
  codeForHttpStatus,
  DATA_FLAG,
  encodeFrame,
  encodeTimeout,
  GRPC_WEB_CONTENT_TYPE,
  parseFrames,
  parseTrailers,
  readStatus,
  TRAILER_FLAG,
} from './internal/grpc-web-codec.ts';
import type { RpcTransport } from './rpc-transport.ts';
import { decodeStatus, type WireStatus } from './status-decoder.ts';

export interface GrpcWebTransportOptions {
  /** Where the gateway listens, e.g. `https://gateway.example.com` (paths are appended). */
  readonly baseUrl: string;
  /** The fetch to use (default `globalThis.fetch`). */
  readonly fetch?: typeof globalThis.fetch;
  /** Headers sent on every call (per-call metadata wins). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a failed call's error keeps as `cause`: the HTTP status and the trailers as received. */
export interface GrpcWebFailure {
  readonly httpStatus: number;
  readonly trailers: Readonly<Record<string, string>>;
}

const LONGEST_ERROR_BODY = 200;

function localError(code: Code, message: string, cause?: unknown): ProofMessengerError {
  return decodeStatus({ code, message }, cause);
}

/** Unary gRPC-web calls to one gateway. */
export class GrpcWebTransport implements RpcTransport {
  readonly #baseUrl: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #headers: Readonly<Record<string, string>>;
  #closed = false;

  constructor(options: GrpcWebTransportOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound: browsers throw "Illegal invocation" when fetch is called on another receiver.
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#headers = options.headers ?? {};
  }

  async unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    options: CallOptions = {},
  ): Promise<MessageShape<O>> {
    if (this.#closed) throw localError(Code.UNAVAILABLE, 'the transport was closed');
    const controller = new AbortController();
    let ended: 'cancelled' | 'deadline' | undefined;
    const cancel = () => {
      ended ??= 'cancelled';
      controller.abort();
    };
    if (options.signal?.aborted) cancel();
    options.signal?.addEventListener('abort', cancel, { once: true });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            ended ??= 'deadline';
            controller.abort();
          }, options.timeoutMs);
    const headers: Record<string, string> = {
      ...this.#headers,
      ...options.metadata,
      'content-type': GRPC_WEB_CONTENT_TYPE,
      accept: GRPC_WEB_CONTENT_TYPE,
      'x-grpc-web': '1',
    };
    if (options.timeoutMs !== undefined) headers['grpc-timeout'] = encodeTimeout(options.timeoutMs);
    try {
      if (ended !== undefined) throw new Error('aborted before sending');
      const response = await this.#fetch(
        `${this.#baseUrl}/${method.parent.typeName}/${method.name}`,
        {
          method: 'POST',
          headers,
          body: encodeFrame(DATA_FLAG, toBinary(method.input, request)),
          signal: controller.signal,
        },
      );
      const body = new Uint8Array(await response.arrayBuffer());
      return decodeResponse(method, response, body);
    } catch (error) {
      if (ended === 'cancelled') throw localError(Code.CANCELLED, 'call cancelled', error);
      if (ended === 'deadline') {
        throw localError(
          Code.DEADLINE_EXCEEDED,
          `deadline of ${options.timeoutMs} ms exceeded`,
          error,
        );
      }
      if (error instanceof ProofMessengerError) throw error;
      throw localError(
        Code.UNAVAILABLE,
        `gRPC-web gateway at ${this.#baseUrl} unreachable: ${String(
          error instanceof Error ? error.message : error,
        )}`,
        error,
      );
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  /** Refuses further calls (fetch holds no connection of its own to release). */
  close(): void {
    this.#closed = true;
  }
}

function decodeResponse<O extends DescMessage>(
  method: DescMethodUnary<DescMessage, O>,
  response: Response,
  body: Uint8Array,
): MessageShape<O> {
  const failure = (status: WireStatus, trailers: Readonly<Record<string, string>> = {}) =>
    decodeStatus(status, { httpStatus: response.status, trailers } satisfies GrpcWebFailure);
  // Trailers-only: the status is in the HTTP headers and the body is empty.
  const headerStatus = readStatus((name) => response.headers.get(name));
  if (headerStatus !== undefined && headerStatus.code !== Code.OK) {
    throw failure(headerStatus, Object.fromEntries(response.headers));
  }
  if (!response.ok) {
    const text = new TextDecoder().decode(body.subarray(0, LONGEST_ERROR_BODY)).trim();
    throw failure({
      code: codeForHttpStatus(response.status),
      message: `gRPC-web gateway answered HTTP ${response.status}${text === '' ? '' : `: ${text}`}`,
    });
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/grpc-web')) {
    throw failure({
      code: Code.UNKNOWN,
      message: `gRPC-web gateway answered with content type "${contentType}"`,
    });
  }
  let frames: ReturnType<typeof parseFrames>;
  try {
    frames = parseFrames(body);
  } catch (cause) {
    throw failure({ code: Code.INTERNAL, message: String((cause as Error).message) });
  }
  const messages: Uint8Array[] = [];
  let trailers: Map<string, string> | undefined;
  for (const frame of frames) {
    if ((frame.flag & TRAILER_FLAG) !== 0) {
      trailers = parseTrailers(frame.payload);
      break;
    }
    if ((frame.flag & COMPRESSED_FLAG) !== 0) {
      throw failure({
        code: Code.INTERNAL,
        message: 'compressed gRPC-web frames are not supported',
      });
    }
    messages.push(frame.payload);
  }
  const trailerRecord = Object.fromEntries(trailers ?? []);
  const status = trailers === undefined ? headerStatus : readStatus((name) => trailers.get(name));
  if (status === undefined) {
    throw failure({ code: Code.INTERNAL, message: 'gRPC-web response without grpc-status' });
  }
  if (status.code !== Code.OK) throw failure(status, trailerRecord);
  const [message] = messages;
  if (message === undefined || messages.length > 1) {
    throw failure(
      {
        code: Code.INTERNAL,
        message: `${method.localName} answered ${messages.length} messages; a unary call takes one`,
      },
      trailerRecord,
    );
  }
  try {
    return fromBinary(method.output, message);
  } catch {
    throw failure(
      { code: Code.INTERNAL, message: `response is not a valid ${method.output.typeName}` },
      trailerRecord,
    );
  }
}
