export { Code, codeName } from './code.ts';
export {
  AlreadyExistsError,
  DecryptionError,
  EpochChangedError,
  ExpiredError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  KeyExpiredError,
  KeyRevokedError,
  KeyUnknownError,
  NotFoundError,
  PolicyDeniedError,
  RateLimitedError,
  ReplayError,
  SignatureInvalidError,
  StaleTimestampError,
  TooLargeError,
  UnauthenticatedError,
  UnavailableError,
  UnsupportedSuiteError,
} from './domain-errors.ts';
export type { ErrorFacts } from './proof-messenger-error.ts';
export { ProofMessengerError } from './proof-messenger-error.ts';
export { Reason } from './reason.ts';
