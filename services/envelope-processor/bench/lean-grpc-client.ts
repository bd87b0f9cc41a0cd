/**
 * The benchmark's load generator client: unary gRPC calls straight over node:http2, with request
 * bodies framed (5-byte gRPC prefix) before the measured window. In the 2-core runs the load
 * generator shares the service's cores, so whatever CPU it spends is taken from the service;
 * grpc-js's client stack (channel, call and filter objects, a copy of every request to frame it)
 * cost the load generator 70-140 µs per envelope. Speaks only what the benchmark needs: no
 * compression, no retries, one connection; any non-OK status rejects with its code and message.
 */
import { type ClientHttp2Session, connect, constants } from 'node:http2';

/** A request body with its gRPC frame prefix (uncompressed), ready to send. */
export function grpcFrame(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, 5);
  return framed;
}

export class LeanGrpcClient {
  readonly #session: ClientHttp2Session;

  /** @param address `host:port` of a plaintext gRPC server */
  constructor(address: string) {
    // A receive window for whole responses: they are small, but never wait for window updates.
    this.#session = connect(`http://${address}`, { settings: { initialWindowSize: 1 << 24 } });
    this.#session.on('error', () => {}); // calls in flight reject on their own streams
  }

  /** Sends a framed body to `path`; resolves with the response message (prefix removed). */
  call(path: string, framed: Uint8Array, authorization: string): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const stream = this.#session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        [constants.HTTP2_HEADER_TE]: 'trailers',
        authorization,
      });
      const chunks: Buffer[] = [];
      let status: string | undefined;
      let message = '';
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A trailers-only answer (an error) carries the status in the headers.
      const noteStatus = (headers: Record<string, unknown>) => {
        if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
        if (headers['grpc-message'] !== undefined) message = String(headers['grpc-message']);
      };
      stream.on('response', noteStatus);
      stream.on('trailers', noteStatus);
      stream.on('error', reject);
      stream.on('close', () => {
        if (status !== '0') {
          reject(
            new Error(
              `${path} answered status ${status ?? 'none'}: ${decodeURIComponent(message)}`,
            ),
          );
          return;
        }
        const body = Buffer.concat(chunks);
        resolve(body.length < 5 ? new Uint8Array(0) : body.subarray(5, 5 + body.readUInt32BE(1)));
      });
      stream.end(framed);
    });
  }

  close(): void {
    this.#session.close();
  }
}
