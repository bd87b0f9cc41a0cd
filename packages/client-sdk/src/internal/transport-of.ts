/**
 * Turns a client's `transport` / `address` options into the transport it talks through, and
 * whether the client made it (and so closes it): a transport the caller passes stays the
 * caller's to close, since one transport may serve several clients (a browser's one gateway).
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { type RpcTransport, transportFor } from '@proof-messenger/rpc';

/** The transport to use and whether the client owns it. */
export function transportOf(options: {
  readonly address?: string | undefined;
  readonly transport?: RpcTransport | undefined;
}): { readonly transport: RpcTransport; readonly owned: boolean } {
  if (options.transport !== undefined) return { transport: options.transport, owned: false };
  if (options.address === undefined || options.address === '') {
    throw new InvalidArgumentError('give an address (host:port or gateway URL) or a transport', {
      field: 'address',
    });
  }
  return { transport: transportFor(options.address), owned: true };
}
