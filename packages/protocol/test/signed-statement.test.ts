/** Signed statements: verify as their own type only, with the named key only. */
import { create } from '@bufbuild/protobuf';
import { CompositeSigner, nativeProvider } from '@proof-messenger/crypto';
import { GetIdentityRequestSchema, IdentityRegistrationSchema } from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';
import { signStatement, verifyStatement } from '../src/index.ts';

describe('signed statements', () => {
  const provider = nativeProvider;
  const signer = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(8));
  const other = CompositeSigner.fromSeed(provider, new Uint8Array(64).fill(9));
  const registration = create(IdentityRegistrationSchema, { agentId: 'agent-a', createdAtMs: 1n });

  it('verifies and decodes', async () => {
    const statement = await signStatement(signer, IdentityRegistrationSchema, registration);
    const body = await verifyStatement(
      provider,
      IdentityRegistrationSchema,
      statement,
      signer.publicKey,
      'registration',
    );
    expect(body.agentId).toBe('agent-a');
  });

  it('does not verify as another statement type with the same bytes', async () => {
    // The body decodes fine as a GetIdentityRequest (field 1 is agent_id in both): only the type
    // name in the signed bytes tells them apart.
    const statement = await signStatement(
      signer,
      IdentityRegistrationSchema,
      create(IdentityRegistrationSchema, { agentId: 'agent-a' }),
    );
    await expect(
      verifyStatement(provider, GetIdentityRequestSchema, statement, signer.publicKey, 'request'),
    ).rejects.toThrow('request.signature does not verify');
  });

  it('names the key it expected', async () => {
    const statement = await signStatement(signer, IdentityRegistrationSchema, registration);
    await expect(
      verifyStatement(
        provider,
        IdentityRegistrationSchema,
        statement,
        other.publicKey,
        'registration',
      ),
    ).rejects.toThrow(
      `registration.signature must be made with key ${other.keyId}, got ${signer.keyId}`,
    );
    await expect(
      verifyStatement(
        provider,
        IdentityRegistrationSchema,
        undefined,
        signer.publicKey,
        'registration',
      ),
    ).rejects.toThrow('registration is required');
  });
});
