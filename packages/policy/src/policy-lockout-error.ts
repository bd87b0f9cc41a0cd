/**
 * Refusal of a policy change that would leave no operator able to manage policies (the one way
 * to undo a bad policy through the API). A policy-domain error kept in this package because its
 * only thrower is PolicyAdministration; it is a ProofMessengerError, so the status mapper turns it
 * into FAILED_PRECONDITION like any other.
 */
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';

/** The policy set would lock operators out of ManagePolicies. */
export class PolicyLockoutError extends ProofMessengerError {
  override name = 'PolicyLockoutError';
  constructor(message: string) {
    super(Code.FAILED_PRECONDITION, Reason.POLICY_DENIED, message, { field: 'text' });
  }
}
