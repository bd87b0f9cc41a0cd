/**
 * Helpers for tests that send services bytes no typed client would: raw request bodies through
 * grpc-js's own Client (its serializer passes the bytes through unencoded), so fuzz tests can
 * check that undecodable or mutated requests get a proper status. Exported as
 * `@proof-messenger/rpc/testing`; not for production code.
 */
import type { DescService } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';

const pass = (bytes: Buffer) => bytes;

/** `/package.Service/Method` of every method of `services`. */
export function methodPaths(...services: readonly DescService[]): string[] {
  return services.flatMap((service) =>
    service.methods.map((method) => `/${service.typeName}/${method.name}`),
  );
}

/** A client that sends raw unary request bodies to `address`. */
export class RawUnaryClient {
  readonly #client: grpc.Client;

  constructor(address: string) {
    this.#client = new grpc.Client(address, grpc.credentials.createInsecure());
  }

  /** Sends `body` to `path`; resolves with the status code (0 for OK), never rejects. */
  code(path: string, body: Uint8Array, authorization?: string, timeoutMs = 5000): Promise<number> {
    return this.call(path, body, authorization, timeoutMs).then(
      () => 0,
      (error: grpc.ServiceError) => error.code,
    );
  }

  /**
   * Sends `body` to `path`; resolves with the raw response body, rejects with grpc-js's
   * ServiceError. (Benchmarks use it to send requests encoded before the measured window.)
   */
  call(path: string, body: Uint8Array, authorization?: string, timeoutMs = 5000): Promise<Buffer> {
    const metadata = new grpc.Metadata();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    return new Promise((resolve, reject) =>
      this.#client.makeUnaryRequest(
        path,
        pass,
        pass,
        Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        metadata,
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response ?? Buffer.alloc(0))),
      ),
    );
  }

  close(): void {
    this.#client.close();
  }
}
