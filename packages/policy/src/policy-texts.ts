/**
 * The Cedar schema and the shipped default policy, read from the package's `schema/` and
 * `policies/` directories (kept as `.cedarschema` / `.cedar` files so editors and the Cedar CLI
 * can work on them directly). Read once per process, synchronously, because both are needed
 * before the first decision.
 */
import { readFileSync } from 'node:fs';

let schema: string | undefined;
let defaultPolicy: string | undefined;

/** The Cedar schema (Cedar schema syntax) every policy is validated against. */
export function loadPolicySchema(): string {
  schema ??= readFileSync(
    new URL('../schema/proof-messenger.cedarschema', import.meta.url),
    'utf8',
  );
  return schema;
}

/** The default policy published as version 1 on first start. */
export function loadDefaultPolicy(): string {
  defaultPolicy ??= readFileSync(new URL('../policies/default.cedar', import.meta.url), 'utf8');
  return defaultPolicy;
}
