/**
 * A call to a service as the agent: its access token in `authorization`, and one fresh try when
 * the service answers UNAUTHENTICATED (the token expired, or the service restarted with a new
 * view of keys). Shared by the clients of the envelope processor and the channel service.
 */
import type { DescService } from '@bufbuild/protobuf';
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import type {
  CallOptions,
  RequestInit,
  ResponseOf,
  ServiceClient,
  UnaryMethodName,
} from '@proof-messenger/rpc';
import type { KeyManagementClient } from '../key-management-client.ts';

export async function authorizedCall<S extends DescService, K extends UnaryMethodName<S>>(
  rpc: ServiceClient<S>,
  keys: KeyManagementClient,
  method: K,
  request: RequestInit<S, K>,
  options: CallOptions = {},
): Promise<ResponseOf<S, K>> {
  const attempt = async () =>
    rpc.call(method, request, {
      ...options,
      metadata: { authorization: await keys.authorization() },
    });
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof ProofMessengerError) || error.code !== Code.UNAUTHENTICATED) throw error;
    keys.resetToken();
    return attempt();
  }
}
