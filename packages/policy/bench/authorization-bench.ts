/**
 * bench:policy — authorization decision latency, p50/p99, with 10 and 1,000 policies:
 * - raw: one `statefulIsAuthorized` call on the pre-parsed set (the ceiling: no checks, no cache);
 * - uncached: `CedarAuthorizer.authorize` with the cache disabled (request checks + Cedar);
 * - misses: cache on, every request distinct (adds key building and insertion);
 * - cached: the same request again (a cache hit).
 * The policy sets are one permit plus N-1 forbids on other recipients with context conditions,
 * so every policy is evaluated for the request measured. Ends with one JSON line.
 *
 *   npx --yes pnpm@10.34.9 run bench:policy [-- --iterations 5000]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type AuthorizationRequest, CedarAuthorizer, wasmCedarEngine } from '../src/index.ts';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '5000' } } });
const iterations = Number(values.iterations);

function policySet(count: number): string {
  const lines = [
    `@id("send-any")
permit (principal is ProofMessenger::Agent, action == ProofMessenger::Action::"SendMessage", resource is ProofMessenger::Agent);`,
  ];
  for (let i = 1; i < count; i += 1) {
    lines.push(`@id("rule-${i}")
forbid (principal, action == ProofMessenger::Action::"SendMessage", resource)
when { resource == ProofMessenger::Agent::"recipient-${i}" && (context.sizeBytes > ${1000 + i} || context.priority == "critical") };`);
  }
  return lines.join('\n');
}

function request(to: string): AuthorizationRequest {
  return {
    principal: { type: 'Agent', id: 'alice' },
    action: 'SendMessage',
    resource: { type: 'Agent', id: to },
    context: {
      priority: 'normal',
      contentType: 'text/plain',
      cleartext: false,
      sizeBytes: 512,
      ttlMs: 60_000,
    },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(run: (i: number) => unknown): Promise<{ p50Us: number; p99Us: number }> {
  for (let i = 0; i < Math.min(500, iterations); i += 1) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    await run(i);
    samples.push((performance.now() - start) * 1000);
  }
  samples.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50Us: round(percentile(samples, 50)), p99Us: round(percentile(samples, 99)) };
}

const results: Record<string, Record<string, { p50Us: number; p99Us: number }>> = {};
for (const count of [10, 1000]) {
  const text = policySet(count);
  const uncached = new CedarAuthorizer({ cacheSize: 0 });
  const cached = new CedarAuthorizer();
  uncached.use({ version: 1, text });
  cached.use({ version: 1, text });
  const setId = `bench-${count}`;
  const parts = wasmCedarEngine.preparsePolicySet(setId, { staticPolicies: text });
  if (parts.type !== 'success') throw new Error('bench policy set does not parse');
  const same = request('bob');
  const raw = {
    principal: { type: 'ProofMessenger::Agent', id: 'alice' },
    action: { type: 'ProofMessenger::Action', id: 'SendMessage' },
    resource: { type: 'ProofMessenger::Agent', id: 'bob' },
    context: { ...same.context },
    preparsedPolicySetId: setId,
    entities: [],
  };
  const row = {
    raw: await measure(() => wasmCedarEngine.statefulIsAuthorized(raw)),
    uncached: await measure(() => uncached.authorize(same)),
    misses: await measure((i) => cached.authorize(request(`bob-${i}`))),
    cached: await measure(() => cached.authorize(same)),
  };
  const critical = request('recipient-1');
  const check = await uncached.authorize({
    ...critical,
    context: { ...critical.context, priority: 'critical' },
  });
  if (check.allowed) throw new Error('the bench policy set does not decide as intended');
  results[`policies_${count}`] = row;
  for (const [name, r] of Object.entries(row)) {
    console.log(
      `${String(count).padStart(5)} policies  ${name.padEnd(9)} p50 ${String(r.p50Us).padStart(7)} µs   p99 ${String(r.p99Us).padStart(7)} µs`,
    );
  }
}
const worstP99Us = Math.max(
  ...Object.values(results).flatMap((row) => [row.uncached?.p99Us ?? 0, row.cached?.p99Us ?? 0]),
);
console.log(
  JSON.stringify({
    bench: 'policy-authorization',
    iterations,
    node: process.version,
    results,
    goalP99Us: 1000,
    worstP99Us,
    goalMet: worstP99Us < 1000,
  }),
);
