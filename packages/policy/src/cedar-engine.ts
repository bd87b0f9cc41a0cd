/**
 * The boundary to Cedar (`@cedar-policy/cedar-wasm`, the Node build): the handful of its
 * functions this package calls, as an interface, so tests can put a failing engine in its place
 * and check that decisions then fail closed.
 *
 * Caveats of the wasm build that shape the callers: every call is synchronous (a decision cannot
 * be interrupted, only measured afterwards); `preparsePolicySet` / `preparseSchema` keep what
 * they parse in the module's memory under the id given, with no way to drop it, so ids are
 * derived from content (a policy text parsed twice reuses one slot).
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

/** The Cedar functions the policy package uses. */
export type CedarEngine = Pick<
  typeof cedar,
  | 'policySetTextToParts'
  | 'policyToJson'
  | 'validate'
  | 'preparsePolicySet'
  | 'preparseSchema'
  | 'schemaToJson'
  | 'statefulIsAuthorized'
>;

/** Cedar itself (the version pinned in package.json). */
export const wasmCedarEngine: CedarEngine = cedar;

/** The Cedar language and SDK version in use, for logs and docs. */
export function cedarVersion(): string {
  return cedar.getCedarVersion();
}
