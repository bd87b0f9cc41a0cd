/**
 * The failures only a key store has, one class each, on the shared error model of
 * `@proof-messenger/errors`. Everything else a key store reports uses the shared classes directly:
 * NotFoundError (no file), AlreadyExistsError (file or key id exists), KeyUnknownError (no such key),
 * InvalidArgumentError (bad input).
 *
 * Caveat: these errors describe local files and never travel over gRPC, but they still carry a
 * gRPC code so an agent can handle every Proof-Messenger error the same way. Their messages name
 * paths, key ids and process ids, never secrets.
 */
import {
  Code,
  DecryptionError,
  type ErrorFacts,
  ProofMessengerError,
  Reason,
} from '@proof-messenger/errors';

/**
 * The key store file did not decrypt: the passphrase or key is wrong, or the file (its header or
 * its sealed content) was modified. AES-GCM cannot tell these apart, so neither can this error.
 */
export class KeyStoreUnlockError extends DecryptionError {
  override name = 'KeyStoreUnlockError';
}

/**
 * The key store file is not one this build can read: truncated, not in the key store format, a
 * header value out of range, or a newer format version. Nothing was loaded from it.
 */
export class KeyStoreFormatError extends ProofMessengerError {
  override name = 'KeyStoreFormatError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.DATA_LOSS, Reason.INTERNAL, message, facts);
  }
}

/**
 * Another key store (in another process, or already in this one) holds the file's lock. A key
 * store file belongs to one agent process at a time.
 */
export class KeyStoreLockedError extends ProofMessengerError {
  override name = 'KeyStoreLockedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.UNAVAILABLE, message, facts);
  }
}

/** The key store was closed: its seeds are wiped and it serves nothing more. */
export class KeyStoreClosedError extends ProofMessengerError {
  override name = 'KeyStoreClosedError';
  constructor(message: string, facts?: ErrorFacts) {
    super(Code.FAILED_PRECONDITION, Reason.UNAVAILABLE, message, facts);
  }
}
