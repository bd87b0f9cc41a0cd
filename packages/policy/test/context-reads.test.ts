/**
 * What a policy reads of the context, from Cedar's own JSON form (the real wasm engine): every
 * way to read one attribute yields that attribute, every other use of `context` yields 'all'.
 */
import { describe, expect, it } from 'vitest';
import { wasmCedarEngine } from '../src/cedar-engine.ts';
import { contextReads, unionOfReads } from '../src/internal/context-reads.ts';

function readsOf(when: string | undefined): ReadonlySet<string> | 'all' {
  return readsOfText(
    when === undefined
      ? 'permit (principal, action, resource);'
      : `permit (principal, action, resource) when { ${when} };`,
  );
}

function readsOfText(text: string): ReadonlySet<string> | 'all' {
  const answer = wasmCedarEngine.policyToJson(text);
  if (answer.type !== 'success') throw new Error(`does not parse: ${text}`);
  return contextReads(answer.json);
}

describe('contextReads', () => {
  it('reads nothing without conditions, or with conditions on other variables', () => {
    expect(readsOf(undefined)).toEqual(new Set());
    expect(readsOf('resource.owner == principal && principal.id != "x"')).toEqual(new Set());
  });

  it('names the attributes read by ., [] and has, including a has path', () => {
    expect(readsOf('context.sizeBytes > 65536')).toEqual(new Set(['sizeBytes']));
    expect(readsOf('context["ttlMs"] < 5 && context has cleartext')).toEqual(
      new Set(['ttlMs', 'cleartext']),
    );
    expect(readsOf('context has a.b')).toEqual(new Set(['a']));
    expect(
      readsOf(
        'if context.cleartext then {x: context.priority}.x == "low" else ip("1.2.3.4").isIpv4()',
      ),
    ).toEqual(new Set(['cleartext', 'priority']));
  });

  it('reads the whole context where it is used as a value', () => {
    expect(readsOf('context == {}')).toBe('all');
    expect(readsOf('[context].contains(context)')).toBe('all');
    expect(readsOf('context.sizeBytes > 1 && {"has": context}["has"] == {}')).toBe('all');
    expect(
      readsOfText(
        'forbid (principal, action, resource) when { context.sizeBytes > 1 } unless { context == {} };',
      ),
    ).toBe('all');
    expect(
      readsOfText(
        'forbid (principal, action, resource) when { context.sizeBytes > 1 } unless { context.ttlMs < 9 };',
      ),
    ).toEqual(new Set(['sizeBytes', 'ttlMs']));
  });

  it('reads everything of a policy Cedar gave no JSON form of', () => {
    expect(contextReads(undefined)).toBe('all');
  });

  it('unites the reads of several policies', () => {
    expect(unionOfReads([new Set(['a']), new Set(), new Set(['b', 'a'])])).toEqual(
      new Set(['a', 'b']),
    );
    expect(unionOfReads([new Set(['a']), 'all'])).toBe('all');
    expect(unionOfReads([])).toEqual(new Set());
  });
});
