/**
 * Turns policy text into the named policies Cedar is given, and Cedar's diagnostics into
 * messages a person can act on. Cedar names policies `policy0`, `policy1`, … when handed one
 * string; we split the text and use each policy's `@id` annotation instead, so validation
 * errors, decision reasons and audit entries all name the policy the author wrote. Source
 * offsets are translated back to line:column of the whole text.
 */
import type { DetailedError, PolicyJson } from '@cedar-policy/cedar-wasm/nodejs';
import type { CedarEngine } from '../cedar-engine.ts';

/** A policy text split into Cedar's named static policies. */
export interface NamedPolicies {
  /** Policy id (its `@id`, else `policy<N>` by position) → that policy's text. */
  readonly policies: Record<string, string>;
  /** Policy id → offset of its text in the whole text (for error locations). */
  readonly offsets: Record<string, number>;
  /** Policy id → Cedar's JSON form of it (absent when Cedar could not convert it). */
  readonly json: Record<string, PolicyJson>;
}

/** The result of splitting: the named policies, or what is wrong with the text. */
export type SplitResult =
  | { readonly ok: true; readonly named: NamedPolicies }
  | { readonly ok: false; readonly errors: string[] };

/** `line:column` (1-based) of `offset` in `text`. */
export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    start = i + 1;
  }
  return `${line}:${offset - start + 1}`;
}

/**
 * One Cedar diagnostic as a single line: the message, where (line:column in `text`, shifted by
 * `base`), the source it points at, and Cedar's help when it has one.
 */
export function describeCedarError(
  error: DetailedError,
  text?: string,
  base = 0,
  prefix = '',
): string {
  let out = `${prefix}${error.message}`;
  const location = error.sourceLocations?.[0];
  if (text !== undefined && location !== undefined) {
    const start = base + location.start;
    const snippet = text.slice(start, base + location.end).replace(/\s+/g, ' ');
    out += ` (at ${lineColumn(text, start)}: \`${snippet.length > 60 ? `${snippet.slice(0, 57)}...` : snippet}\``;
    out += location.label ? `; ${location.label})` : ')';
  }
  if (error.help) out += `; help: ${error.help}`;
  for (const related of error.related ?? []) out += `; ${related.message}`;
  return out;
}

/** Splits `text` into policies named by their `@id`, or says why it does not parse. */
export function splitPolicies(engine: CedarEngine, text: string): SplitResult {
  const parts = engine.policySetTextToParts(text);
  if (parts.type === 'failure') {
    return { ok: false, errors: parts.errors.map((e) => describeCedarError(e, text)) };
  }
  if (parts.policy_templates.length > 0) {
    return {
      ok: false,
      errors: [
        'policy templates (?principal / ?resource slots) are not supported; write static policies',
      ],
    };
  }
  const policies: Record<string, string> = {};
  const offsets: Record<string, number> = {};
  const jsonForms: Record<string, PolicyJson> = {};
  const errors: string[] = [];
  // Cedar lists the parts in the order of its internal names (policy0, policy1, policy10, …),
  // not in the order of the text: locate each (the first occurrence an identical earlier part
  // has not taken) and put them back in text order.
  const taken = new Set<number>();
  const located = parts.policies.map((policy) => {
    let found = text.indexOf(policy);
    while (found !== -1 && taken.has(found)) found = text.indexOf(policy, found + 1);
    if (found !== -1) taken.add(found);
    return { policy, offset: found === -1 ? 0 : found };
  });
  located.sort((a, b) => a.offset - b.offset);
  located.forEach(({ policy, offset }, index) => {
    const json = engine.policyToJson(policy);
    const annotated = json.type === 'success' ? json.json.annotations?.id : undefined;
    const id = annotated ?? `policy${index}`;
    if (id === '') {
      errors.push(`policy at ${lineColumn(text, offset)} has an empty @id`);
    } else if (Object.hasOwn(policies, id)) {
      errors.push(`@id("${id}") at ${lineColumn(text, offset)} is used by an earlier policy too`);
    }
    policies[id] = policy;
    offsets[id] = offset;
    if (json.type === 'success') jsonForms[id] = json.json;
  });
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, named: { policies, offsets, json: jsonForms } };
}

/** Validates named policies against `schema`; Cedar's messages with policy ids and locations. */
export function validateAgainstSchema(
  engine: CedarEngine,
  text: string,
  named: NamedPolicies,
  schema: string,
): string[] {
  const answer = engine.validate({
    schema,
    policies: { staticPolicies: named.policies },
    validationSettings: { mode: 'strict' },
  });
  if (answer.type === 'failure') return answer.errors.map((e) => describeCedarError(e));
  return answer.validationErrors.map((v) =>
    describeCedarError(
      v.error,
      text,
      named.offsets[v.policyId] ?? 0,
      v.error.message.includes(`\`${v.policyId}\``) ? '' : `${v.policyId}: `,
    ),
  );
}
