/**
 * A promise-based client for a Proof-Messenger service: `await client.call('getIdentity', request)`.
 * Failures reject with the ProofMessengerError decoded from the status (code, reason, field,
 * retryable), never with a raw grpc-js error, so callers branch on typed errors. Every call can
 * carry metadata (the SDK's `authorization`), a deadline and an AbortSignal.
 */
import type { DescMessage, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { makeGrpcClient } from './grpc-service-definition.ts';
import { fromServiceError } from './status-mapper.ts';

/** Per-call options. */
export interface CallOptions {
  /** Metadata (headers) to send, e.g. `{ authorization: 'Bearer …' }`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Milliseconds before the call fails with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
  /** Cancels the call (CANCELLED). */
  readonly signal?: AbortSignal;
}

/** Local names of a service's unary methods. */
export type UnaryMethodName<S extends DescService> = {
  [K in keyof S['method']]: S['method'][K] extends { readonly methodKind: 'unary' } ? K : never;
}[keyof S['method']];

type InputOf<M> = M extends { readonly input: infer I extends DescMessage } ? I : never;
type OutputOf<M> = M extends { readonly output: infer O extends DescMessage } ? O : never;

/** What a method takes. */
export type RequestInit<S extends DescService, K extends keyof S['method']> = MessageInitShape<
  InputOf<S['method'][K]>
>;
/** What a method returns. */
export type ResponseOf<S extends DescService, K extends keyof S['method']> = MessageShape<
  OutputOf<S['method'][K]>
>;

function toMetadata(values: Readonly<Record<string, string>> | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(values ?? {})) metadata.set(key, value);
  return metadata;
}

/** A typed, promise-based client of one service at one address. */
export class PromiseClient<S extends DescService> {
  readonly #client: grpc.Client & Record<string, unknown>;

  /**
   * @param address `host:port`
   * @param credentials defaults to insecure (loopback and in-cluster mTLS-terminating meshes)
   */
  constructor(
    service: S,
    address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options?: grpc.ClientOptions,
  ) {
    const Client = makeGrpcClient(service);
    this.#client = new Client(address, credentials, options) as unknown as grpc.Client &
      Record<string, unknown>;
  }

  /** Calls a unary RPC by its local name (e.g. `registerIdentity`). */
  call<K extends UnaryMethodName<S>>(
    method: K,
    request: RequestInit<S, K>,
    options: CallOptions = {},
  ): Promise<ResponseOf<S, K>> {
    const fn = this.#client[method as string] as (
      request: unknown,
      metadata: grpc.Metadata,
      options: Partial<grpc.CallOptions>,
      callback: grpc.requestCallback<ResponseOf<S, K>>,
    ) => grpc.ClientUnaryCall;
    return new Promise((resolve, reject) => {
      const callOptions: Partial<grpc.CallOptions> =
        options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
      const call = fn.call(
        this.#client,
        request,
        toMetadata(options.metadata),
        callOptions,
        (error, response) => {
          options.signal?.removeEventListener('abort', cancel);
          if (error) reject(fromServiceError(error));
          else if (response === undefined)
            reject(new Error(`${String(method)} returned no response`));
          else resolve(response);
        },
      );
      const cancel = () => call.cancel();
      if (options.signal?.aborted) call.cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Closes the channel. */
  close(): void {
    this.#client.close();
  }
}
