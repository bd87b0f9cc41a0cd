/**
 * Turns the `authorization` metadata of a call into a Caller, or refuses it with UNAUTHENTICATED
 * and a message saying what to send. Used by every service, so every RPC authenticates the same way.
 */
import { UnauthenticatedError } from '@proof-messenger/errors';
import type { AccessTokens } from './access-tokens.ts';
import type { Caller } from './caller.ts';
import type { OperatorCredentials } from './operator-credentials.ts';

/** Whether an agent's identity key may still authenticate (current, not revoked). */
export type KeyActiveCheck = (agentId: string, keyId: string) => Promise<boolean>;

export interface CallerAuthenticatorOptions {
  readonly tokens: AccessTokens;
  readonly operators: OperatorCredentials;
  /** Checked on every agent call; back it with a cache whose TTL bounds revocation latency. */
  readonly isKeyActive: KeyActiveCheck;
  readonly now?: () => number;
}

export class CallerAuthenticator {
  readonly #options: CallerAuthenticatorOptions;

  constructor(options: CallerAuthenticatorOptions) {
    this.#options = options;
  }

  /**
   * @param authorization the `authorization` metadata value: `Bearer <access token>` or
   *   `Operator <credential>`
   * @throws UnauthenticatedError
   */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (authorization === undefined || authorization === '') {
      throw new UnauthenticatedError(
        'missing authorization metadata: send "Bearer <access token>" (from KeyManagementService.Authenticate) or "Operator <credential>"',
      );
    }
    const space = authorization.indexOf(' ');
    const scheme = space < 0 ? authorization : authorization.slice(0, space);
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'Bearer') {
      const claims = this.#options.tokens.verify(value, (this.#options.now ?? Date.now)());
      if (!(await this.#options.isKeyActive(claims.sub, claims.kid))) {
        throw new UnauthenticatedError(
          `identity key ${claims.kid} of ${claims.sub} is no longer active (rotated or revoked); authenticate with the current key`,
        );
      }
      return { kind: 'agent', agentId: claims.sub, keyId: claims.kid };
    }
    if (scheme === 'Operator') {
      const name = this.#options.operators.match(value);
      if (name === undefined)
        throw new UnauthenticatedError('operator credential is not recognized');
      return { kind: 'operator', name };
    }
    throw new UnauthenticatedError(
      `unsupported authorization scheme "${scheme.slice(0, 20)}"; use Bearer or Operator`,
    );
  }
}
