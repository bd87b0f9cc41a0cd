/**
 * The key directory other services use, against the real key-management service: keys valid as of
 * a time, rotation and revocation seen within the cache bound, unknown agents.
 */
import { AgentKeys, MemoryKeyStore } from '@proof-messenger/client-sdk';
import { nativeProvider } from '@proof-messenger/crypto';
import { Code } from '@proof-messenger/errors';
import { grpcKeySource, KeyDirectory } from '@proof-messenger/key-directory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './service-harness.ts';

describe('KeyDirectory over the key-management read API', () => {
  let harness: Harness;
  let source: ReturnType<typeof grpcKeySource>;

  beforeAll(async () => {
    harness = await startHarness('embedded', { PM_OPEN_REGISTRATION: 'loopback' });
    source = grpcKeySource(harness.address, harness.operatorCredential);
  });
  afterAll(async () => {
    source.close();
    await harness.close();
  });

  it('answers which key was valid when, and sees rotation and revocation once its TTL passes', async () => {
    const directory = new KeyDirectory({
      provider: nativeProvider,
      source: source.source,
      ttlMs: 2000,
      now: harness.clock.now,
    });
    const agent = await AgentKeys.open({
      address: harness.address,
      agentId: 'lena',
      keyStore: new MemoryKeyStore({ provider: nativeProvider }),
      provider: nativeProvider,
      now: harness.clock.now,
    });
    await agent.register(); // open registration from loopback
    const firstKey = agent.signer.keyId;
    const before = harness.clock.now();
    expect((await directory.keyAt('lena', firstKey, before)).status).toBe('current');
    expect(await directory.isKeyActive('lena', firstKey)).toBe(true);

    harness.clock.advance(10);
    const secondKey = await agent.rotateIdentityKey();
    // Within the TTL the directory may still answer from its cache: that is the documented bound.
    expect(await directory.isKeyActive('lena', firstKey)).toBe(true);
    harness.clock.advance(2001);
    expect(await directory.isKeyActive('lena', firstKey)).toBe(false);
    expect(await directory.isKeyActive('lena', secondKey)).toBe(true);
    // The old key still verifies what it signed before the rotation, and nothing after.
    expect((await directory.keyAt('lena', firstKey, before)).status).toBe('superseded');
    await expect(directory.keyAt('lena', firstKey, harness.clock.now())).rejects.toMatchObject({
      code: Code.FAILED_PRECONDITION,
      message: expect.stringMatching(new RegExp(`^key ${firstKey} of lena was not valid at `)),
    });

    await agent.revoke('compromised laptop');
    harness.clock.advance(2001);
    await expect(directory.keyAt('lena', secondKey, harness.clock.now())).rejects.toMatchObject({
      code: Code.PERMISSION_DENIED,
      message: `key ${secondKey} of lena is revoked: compromised laptop`,
    });
    expect(await directory.isKeyActive('lena', secondKey)).toBe(false);
    agent.close();
  });

  it('reports unknown agents and keys, and shares one lookup between concurrent callers', async () => {
    let calls = 0;
    const counting = new KeyDirectory({
      provider: nativeProvider,
      source: async (agentId) => {
        calls++;
        return source.source(agentId);
      },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        counting.keyAt('ghost', 'AAAAAAAAAAAAAAAAAAAAAA', Date.now()),
      ),
    );
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(calls).toBe(1);
    await expect(counting.keyAt('ghost', 'AAAAAAAAAAAAAAAAAAAAAA', Date.now())).rejects.toThrow(
      'agent ghost is not registered',
    );
  });
});
