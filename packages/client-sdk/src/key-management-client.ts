/**
 * The SDK's client of the key-management service. It authenticates by itself: the first call (and
 * any call after the token nears expiry, or after the server says the token's key is no longer
 * active) signs a fresh AuthenticationStatement with the agent's current identity key and
 * exchanges it for an access token, which then rides on every call as `authorization: Bearer …`.
 * Agents never see tokens or statements.
 */
import { create } from '@bufbuild/protobuf';
import type { CompositeSigner } from '@proof-messenger/crypto';
import { base64url, type CryptoProvider } from '@proof-messenger/crypto';
import { Code, ProofMessengerError } from '@proof-messenger/errors';
import { AuthenticationStatementSchema, KeyManagementService } from '@proof-messenger/proto';
import { signStatement } from '@proof-messenger/protocol';
import {
  type CallOptions,
  type RequestInit,
  type ResponseOf,
  type RpcTransport,
  ServiceClient,
  type UnaryMethodName,
} from '@proof-messenger/rpc';
import { transportOf } from './internal/transport-of.ts';

type Service = typeof KeyManagementService;

/** Renew the token when less than this much of its life is left. */
const RENEW_MARGIN_MS = 60_000;

/** Who the client speaks for. `signer` is replaced after an identity key rotation. */
export interface AgentCredentials {
  readonly agentId: string;
  signer: CompositeSigner;
}

export class KeyManagementClient {
  readonly #rpc: ServiceClient<typeof KeyManagementService>;
  readonly #ownsTransport: boolean;
  readonly #provider: CryptoProvider;
  readonly #agent: AgentCredentials | undefined;
  readonly #operatorCredential: string | undefined;
  #token: { value: string; expiresAtMs: number } | undefined;
  #authenticating: Promise<string> | undefined;
  readonly #now: () => number;

  /**
   * @param address `host:port` of the key-management service (or the embedded platform), the URL
   *   of a gRPC-web gateway, or a transport (which stays the caller's to close)
   * @param auth the agent this client acts for, or an operator credential
   */
  constructor(
    address: string | RpcTransport,
    provider: CryptoProvider,
    auth: { agent: AgentCredentials } | { operatorCredential: string } | Record<string, never> = {},
    now: () => number = Date.now,
  ) {
    this.#now = now;
    const { transport, owned } = transportOf(
      typeof address === 'string' ? { address } : { transport: address },
    );
    this.#rpc = new ServiceClient(KeyManagementService, transport);
    this.#ownsTransport = owned;
    this.#provider = provider;
    this.#agent = 'agent' in auth ? auth.agent : undefined;
    this.#operatorCredential = 'operatorCredential' in auth ? auth.operatorCredential : undefined;
  }

  /** Calls an RPC without authentication (RegisterIdentity, Authenticate). */
  anonymous<K extends UnaryMethodName<Service>>(
    method: K,
    request: RequestInit<Service, K>,
    options?: CallOptions,
  ): Promise<ResponseOf<Service, K>> {
    return this.#rpc.call(method, request, options);
  }

  /** Calls an RPC as the agent (or operator), authenticating first when needed. */
  async call<K extends UnaryMethodName<Service>>(
    method: K,
    request: RequestInit<Service, K>,
    options: CallOptions = {},
  ): Promise<ResponseOf<Service, K>> {
    const attempt = async (fresh: boolean) =>
      this.#rpc.call(method, request, {
        ...options,
        metadata: { ...options.metadata, authorization: await this.#authorization(fresh) },
      });
    try {
      return await attempt(false);
    } catch (error) {
      // A token whose key was rotated away, or that expired in flight: authenticate once more.
      if (
        this.#agent !== undefined &&
        error instanceof ProofMessengerError &&
        error.code === Code.UNAUTHENTICATED
      ) {
        return attempt(true);
      }
      throw error;
    }
  }

  async #authorization(fresh: boolean): Promise<string> {
    if (this.#operatorCredential !== undefined) return `Operator ${this.#operatorCredential}`;
    if (this.#agent === undefined) return '';
    if (
      !fresh &&
      this.#token !== undefined &&
      this.#token.expiresAtMs - this.#now() > RENEW_MARGIN_MS
    ) {
      return `Bearer ${this.#token.value}`;
    }
    this.#authenticating ??= this.#authenticate().finally(() => {
      this.#authenticating = undefined;
    });
    return `Bearer ${await this.#authenticating}`;
  }

  async #authenticate(): Promise<string> {
    const agent = this.#agent;
    if (agent === undefined) throw new Error('no agent to authenticate');
    const statement = await signStatement(
      agent.signer,
      AuthenticationStatementSchema,
      create(AuthenticationStatementSchema, {
        agentId: agent.agentId,
        keyId: agent.signer.keyId,
        audience: 'proof-messenger',
        issuedAtMs: BigInt(this.#now()),
        nonce: base64url(this.#provider.randomBytes(18)),
      }),
    );
    const response = await this.#rpc.call('authenticate', { statement });
    this.#token = { value: response.accessToken, expiresAtMs: Number(response.expiresAtMs) };
    return response.accessToken;
  }

  /**
   * The `authorization` metadata value for calls to any Proof-Messenger service (all services
   * accept the same access tokens), authenticating first when needed.
   */
  authorization(): Promise<string> {
    return this.#authorization(false);
  }

  /** Forgets the access token (after an identity key rotation the next call re-authenticates). */
  resetToken(): void {
    this.#token = undefined;
  }

  close(): void {
    if (this.#ownsTransport) this.#rpc.close();
  }
}
