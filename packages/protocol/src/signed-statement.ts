/**
 * Signed statements: registrations, key rotations, prekeys, receipts — every signed thing that is
 * not an envelope. Like envelopes, the signature covers the exact carried bytes, and the statement's
 * protobuf type name is part of what is signed, so a signature over one kind of statement never
 * verifies as another:
 *
 *   signed bytes = PAE("proof-messenger/statement/v1", type name, body bytes)
 */
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import {
  type CompositePublicKey,
  type CompositeSigner,
  type CryptoProvider,
  pae,
  utf8,
  verifyComposite,
} from '@proof-messenger/crypto';
import { InvalidArgumentError, SignatureInvalidError } from '@proof-messenger/errors';
import {
  HybridSignatureSchema,
  type SignedStatement,
  SignedStatementSchema,
} from '@proof-messenger/proto';
import { SIGNATURE_CONTEXT } from './envelope-signature.ts';

/** The bytes a statement signature covers. */
export function statementSignedBytes(typeName: string, body: Uint8Array): Uint8Array {
  return pae('proof-messenger/statement/v1', utf8(typeName), body);
}

/** Serializes `message` and signs it. */
export async function signStatement<Desc extends DescMessage>(
  signer: CompositeSigner,
  schema: Desc,
  message: MessageShape<Desc>,
): Promise<SignedStatement> {
  const body = toBinary(schema, message);
  const signature = await signer.sign(
    statementSignedBytes(schema.typeName, body),
    SIGNATURE_CONTEXT,
  );
  return create(SignedStatementSchema, {
    body,
    signature: create(HybridSignatureSchema, { keyId: signer.keyId, ...signature }),
  });
}

/**
 * Verifies a statement with `publicKey` and returns its decoded body.
 * @param field request path of the statement, for error messages
 * @throws InvalidArgumentError when it is missing or malformed, SignatureInvalidError when the
 *   signature does not verify or names another key
 */
export async function verifyStatement<Desc extends DescMessage>(
  provider: CryptoProvider,
  schema: Desc,
  statement: SignedStatement | undefined,
  publicKey: CompositePublicKey,
  field: string,
): Promise<MessageShape<Desc>> {
  if (statement === undefined || statement.body.length === 0) {
    throw new InvalidArgumentError(`${field} is required`, { field });
  }
  let body: MessageShape<Desc>;
  try {
    body = fromBinary(schema, statement.body);
  } catch (cause) {
    throw new InvalidArgumentError(`${field}.body is not a valid ${schema.typeName}`, {
      field: `${field}.body`,
      cause,
    });
  }
  const signature = statement.signature;
  if (signature === undefined || signature.keyId !== publicKey.keyId) {
    throw new SignatureInvalidError(
      `${field}.signature must be made with key ${publicKey.keyId}, got ${signature?.keyId || 'no signature'}`,
      { field: `${field}.signature` },
    );
  }
  const ok = await verifyComposite(
    provider,
    publicKey,
    statementSignedBytes(schema.typeName, statement.body),
    signature,
    SIGNATURE_CONTEXT,
  );
  if (!ok) {
    throw new SignatureInvalidError(
      `${field}.signature does not verify with key ${publicKey.keyId}`,
      {
        field: `${field}.signature`,
      },
    );
  }
  return body;
}
