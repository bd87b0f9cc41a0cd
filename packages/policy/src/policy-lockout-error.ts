/**
 * Refusal of a policy change that would leave no operator able to manage policies (the one way
 * to undo a bad policy through the API). A policy-domain error kept in this package because its
 * only thrower is PolicyAdministration. It is a FailedPreconditionError (code and reason
 * FAILED_PRECONDITION): the policy engine did not deny the caller anything; the state the change
 * would leave behind is what is refused, and the message says what to keep.
 */
import { FailedPreconditionError } from '@proof-messenger/errors';

/** The policy set would lock operators out of ManagePolicies. */
export class PolicyLockoutError extends FailedPreconditionError {
  override name = 'PolicyLockoutError';
  constructor(message: string) {
    super(message, { field: 'text' });
  }
}
