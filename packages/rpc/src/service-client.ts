/**
 * A typed, promise-based client of one service over any RpcTransport:
 * `await client.call('getIdentity', { agentId })`. It looks the method up by its local name, fills
 * the request's defaults, and leaves the wire to the transport, so the same client code runs on
 * grpc-js in Node and on gRPC-web in a browser.
 */
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import type { CallOptions } from './call-options.ts';
import type { RpcTransport } from './rpc-transport.ts';

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

/** A typed client of one service over one transport. */
export class ServiceClient<S extends DescService> {
  readonly #service: S;
  readonly #transport: RpcTransport;

  constructor(service: S, transport: RpcTransport) {
    this.#service = service;
    this.#transport = transport;
  }

  /** Calls a unary RPC by its local name (e.g. `registerIdentity`). */
  call<K extends UnaryMethodName<S>>(
    method: K,
    request: RequestInit<S, K>,
    options: CallOptions = {},
  ): Promise<ResponseOf<S, K>> {
    const desc = this.#service.method[method as string] as DescMethodUnary<
      DescMessage,
      DescMessage
    >;
    // The mapped types above name exactly desc's input and output; TypeScript cannot follow K.
    return this.#transport.unary(
      desc,
      create(desc.input, request as MessageInitShape<DescMessage>),
      options,
    ) as Promise<ResponseOf<S, K>>;
  }

  /** Closes the transport. */
  close(): void {
    this.#transport.close();
  }
}
