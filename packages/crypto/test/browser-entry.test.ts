/**
 * The browser entry is the package minus what needs node:crypto or worker threads: the same
 * objects for everything shared, and a provider choice that always answers noble.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { describe, expect, it } from 'vitest';
import * as browser from '../src/browser.ts';
import * as full from '../src/index.ts';

const NODE_ONLY = ['WorkerVerifyPool', 'isNativeCryptoAvailable', 'nativeProvider'];
const CHOOSERS = ['defaultProvider', 'getProvider'];

describe('@proof-messenger/crypto/browser', () => {
  it('exports everything but the node-only names, as the same objects', () => {
    const expected = Object.keys(full).filter((name) => !NODE_ONLY.includes(name));
    expect(Object.keys(browser).sort()).toEqual(expected.sort());
    const fullExports = new Map(Object.entries(full));
    for (const [name, value] of Object.entries(browser)) {
      if (!CHOOSERS.includes(name)) expect(value, name).toBe(fullExports.get(name));
    }
  });

  it('always chooses the noble provider', () => {
    expect(browser.defaultProvider()).toBe(full.nobleProvider);
    expect(browser.getProvider('noble')).toBe(full.nobleProvider);
    expect(() => browser.getProvider('native')).toThrow(
      new InvalidArgumentError(
        'the native crypto provider needs Node 24 with OpenSSL 3.5; this build has only the noble provider',
      ),
    );
  });
});
