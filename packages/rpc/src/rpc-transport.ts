/**
 * The seam between typed clients and the wire. A transport makes one unary call to a method given
 * by its protobuf-es descriptor and either resolves with the decoded response or rejects with a
 * ProofMessengerError decoded from the status (never a library's own error type), so code above it
 * does not know whether it went over HTTP/2 gRPC (`GrpcTransport`, Node) or gRPC-web over `fetch`
 * (`GrpcWebTransport`, browsers and any runtime with fetch).
 *
 * Only unary calls: the SDK receives by polling (PollMessages), which works on every transport.
 */
import type { DescMessage, DescMethodUnary, MessageShape } from '@bufbuild/protobuf';
import type { CallOptions } from './call-options.ts';

/** Makes unary calls to a Proof-Messenger service. */
export interface RpcTransport {
  /**
   * Calls `method` with `request`.
   * @throws ProofMessengerError with the status code (and ErrorDetail facts) the call ended with;
   *   CANCELLED when `options.signal` aborts, DEADLINE_EXCEEDED when `options.timeoutMs` passes
   */
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>>;
  /** Releases connections; calls after it fail. */
  close(): void;
}
