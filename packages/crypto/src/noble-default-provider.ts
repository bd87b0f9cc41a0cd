/**
 * Provider choice where there is no node:crypto (browsers, and anything bundled for them): always
 * @noble. The browser entry exports these as `defaultProvider` / `getProvider`, so code written
 * against the package (the SDK, the protocol) picks a provider the same way on every platform.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { CryptoProvider, ProviderName } from './crypto-provider.ts';
import { nobleProvider } from './noble-provider.ts';

/** `nobleProvider`; throws when `native` is asked for, since this runtime has no node:crypto. */
export function nobleGetProvider(name: ProviderName): CryptoProvider {
  if (name === 'noble') return nobleProvider;
  throw new InvalidArgumentError(
    'the native crypto provider needs Node 24 with OpenSSL 3.5; this build has only the noble provider',
  );
}

/** `nobleProvider`, the only one this runtime has. */
export function nobleDefaultProvider(): CryptoProvider {
  return nobleProvider;
}
