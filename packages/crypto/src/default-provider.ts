/**
 * Picks the provider for this runtime: native node:crypto where it has ML-DSA and ML-KEM (Node 24
 * with OpenSSL 3.5), @noble otherwise. `PM_CRYPTO_PROVIDER=noble|native` overrides the choice
 * (for tests and benchmarks); asking for native where it is missing is an error, not a fallback.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import type { CryptoProvider, ProviderName } from './crypto-provider.ts';
import { isNativeCryptoAvailable, nativeProvider } from './native-provider.ts';
import { nobleProvider } from './noble-provider.ts';

/** The provider with this name; throws when `native` is asked for on a runtime without it. */
export function getProvider(name: ProviderName): CryptoProvider {
  if (name === 'noble') return nobleProvider;
  if (!isNativeCryptoAvailable()) {
    throw new InvalidArgumentError(
      'the native crypto provider needs Node 24 with OpenSSL 3.5 (ML-DSA and ML-KEM in node:crypto)',
    );
  }
  return nativeProvider;
}

/** The best provider for this runtime, unless PM_CRYPTO_PROVIDER names one. */
export function defaultProvider(): CryptoProvider {
  const requested = globalThis.process?.env?.PM_CRYPTO_PROVIDER;
  if (requested === 'native' || requested === 'noble') return getProvider(requested);
  if (requested !== undefined && requested !== '') {
    throw new InvalidArgumentError(
      `PM_CRYPTO_PROVIDER must be "native" or "noble", got "${requested}"`,
    );
  }
  return isNativeCryptoAvailable() ? nativeProvider : nobleProvider;
}
