/**
 * bench:policy — authorization decision latency, p50/p99, with 10 and 1,000 policies.
 *
 * Part 1, one scope: one permit plus N-1 forbids that all have the scope
 * `(principal, action == SendMessage, resource)` and name their recipient in `when`, so every
 * policy can apply to every send and partitioning by scope cannot split them (the worst case):
 * - raw: one `statefulIsAuthorized` call on the pre-parsed set (the ceiling: no checks, no cache);
 * - uncached: `CedarAuthorizer.authorize` with the cache disabled (request checks + Cedar);
 * - misses: cache on, every request distinct (adds key building and insertion);
 * - cached: the same request again (a cache hit).
 *
 * Part 2, spread like a deployment: three base permits (send-any, channel-open,
 * platform-operator) and N-3 rules cycling through five kinds, each scoped to one entity:
 * per-channel subscribe grants and per-channel publish size limits (`resource == Channel::"ch-i"`),
 * per-sender forbids (`principal == Agent::"agent-i"`, SendMessage), per-recipient forbids
 * (`resource == Agent::"svc-i"`, SendMessage), per-operator read grants
 * (`principal == Operator::"op-i"`). At 1,000 policies that is ~200 of each; a send meets
 * send-any, the ~200 per-sender rules (the bucket is split by recipient, see docs/policies.md)
 * and its recipient's rule. Requests cycle through five kinds over many different entities:
 * - raw-full: the raw call on the whole set (the ceiling reference without partitioning);
 * - whole: the authorizer with `partitionPolicies: false`, cache off;
 * - partitioned: the authorizer as shipped, cache off (every partition already parsed);
 * - partitioned-cached: the same requests again with the cache on (hits);
 * - first-touch: a request that needs a partition not parsed yet (parse + warm-up + decision),
 *   paid once per partition and version.
 * Ends with one JSON line; goalMet is p99 < 1 ms for partitioned and partitioned-cached at both
 * sizes of part 2.
 *
 *   npx --yes pnpm@10.34.9 run bench:policy [-- --iterations 5000]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  type AuthorizationRequest,
  CedarAuthorizer,
  PLATFORM,
  wasmCedarEngine,
} from '../src/index.ts';
import { toCedarRequest } from '../src/internal/cedar-request.ts';

// pnpm 10 passes the `--` of `run bench:policy -- --iterations N` through.
const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { iterations: { type: 'string', default: '5000' } },
});
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

/** Each run once, timed: for costs paid once (first touch of a partition). */
async function timeEach(
  runs: readonly (() => unknown)[],
): Promise<{ p50Us: number; p99Us: number }> {
  const samples: number[] = [];
  for (const run of runs) {
    const start = performance.now();
    await run();
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

// ---- Part 2: policies spread over actions and entities, as a deployment has them ------------

const A = (name: string) => `ProofMessenger::Action::"${name}"`;
const RULE_KINDS = 5;

function spreadPolicySet(count: number): string {
  const lines = [
    `@id("send-any")
permit (principal is ProofMessenger::Agent, action == ${A('SendMessage')}, resource is ProofMessenger::Agent);`,
    `@id("channel-open")
permit (principal is ProofMessenger::Agent, action in [${A('Subscribe')}, ${A('Publish')}], resource is ProofMessenger::Channel)
when { resource.policy == "open" };`,
    `@id("platform-operator")
permit (principal is ProofMessenger::Operator, action in [${A('ReadAudit')}, ${A('ReadPolicies')}, ${A('ManagePolicies')}], resource is ProofMessenger::Platform);`,
  ];
  for (let i = 0; lines.length < count; i += 1) {
    switch (i % RULE_KINDS) {
      case 0:
        lines.push(`@id("ch-${i}-readers")
permit (principal, action == ${A('Subscribe')}, resource == ProofMessenger::Channel::"ch-${i}")
when { principal in [ProofMessenger::Agent::"agent-${i}", ProofMessenger::Agent::"agent-${i + 5}"] };`);
        break;
      case 1:
        lines.push(`@id("ch-${i}-size")
forbid (principal, action == ${A('Publish')}, resource == ProofMessenger::Channel::"ch-${i}")
when { context has sizeBytes && context.sizeBytes > ${1000 + i} };`);
        break;
      case 2:
        lines.push(`@id("agent-${i}-sends")
forbid (principal == ProofMessenger::Agent::"agent-${i}", action == ${A('SendMessage')}, resource)
when { context.cleartext || context.sizeBytes > ${100_000 + i} };`);
        break;
      case 3:
        lines.push(`@id("svc-${i}-inbox")
forbid (principal, action == ${A('SendMessage')}, resource == ProofMessenger::Agent::"svc-${i}")
when { context.priority == "critical" };`);
        break;
      default:
        lines.push(`@id("op-${i}-reads")
permit (principal == ProofMessenger::Operator::"op-${i}", action in [${A('ReadAudit')}, ${A('ReadPolicies')}], resource is ProofMessenger::Platform);`);
    }
  }
  return lines.join('\n');
}

/** The index of a rule of `kind` among the rules of a `count`-policy set, spread by `n`. */
function ruleIndex(count: number, kind: number, n: number): number {
  const perKind = Math.max(1, Math.floor((count - 3) / RULE_KINDS));
  return ((n * 7919) % perKind) * RULE_KINDS + kind;
}

function spreadRequest(count: number, n: number): AuthorizationRequest {
  const sender = `agent-${ruleIndex(count, 2, n)}`;
  const channel = (kind: number) => ({
    type: 'Channel' as const,
    id: `ch-${ruleIndex(count, kind, n)}`,
  });
  const attributes = { owner: 'someone', policy: 'open' as const, allowlist: [] };
  switch (n % 5) {
    case 0:
      return {
        ...request(`svc-${ruleIndex(count, 3, n)}`),
        principal: { type: 'Agent', id: sender },
      };
    case 1:
      return request(`bob-${n % 97}`);
    case 2:
      return {
        principal: { type: 'Agent', id: sender },
        action: 'Publish',
        resource: channel(1),
        resourceAttributes: attributes,
        context: { sizeBytes: 900, priority: 'normal' },
      };
    case 3:
      return {
        principal: { type: 'Agent', id: `agent-${ruleIndex(count, 0, n)}` },
        action: 'Subscribe',
        resource: channel(0),
        resourceAttributes: { ...attributes, policy: 'private' },
      };
    default:
      return {
        principal: { type: 'Operator', id: `op-${ruleIndex(count, 4, n)}` },
        action: 'ReadAudit',
        resource: PLATFORM,
      };
  }
}

const spread: Record<string, Record<string, { p50Us: number; p99Us: number }>> = {};
for (const count of [10, 1000]) {
  const text = spreadPolicySet(count);
  const mix = Array.from({ length: 1000 }, (_, n) => spreadRequest(count, n));
  const at = (i: number) => mix[Math.abs(i) % mix.length] as AuthorizationRequest;
  const whole = new CedarAuthorizer({ cacheSize: 0, partitionPolicies: false });
  const partitioned = new CedarAuthorizer({ cacheSize: 0 });
  const cached = new CedarAuthorizer();
  for (const a of [whole, partitioned, cached]) {
    a.use({ version: 1, text });
    for (const r of mix) await a.authorize(r); // parses every partition the mix needs
  }
  const setId = `bench-spread-${count}`;
  if (wasmCedarEngine.preparsePolicySet(setId, { staticPolicies: text }).type !== 'success') {
    throw new Error('bench policy set does not parse');
  }
  const raws = mix.map((r) => {
    const { entities, ...rest } = toCedarRequest(r);
    return { ...rest, entities, preparsedPolicySetId: setId };
  });
  // Every decision of the mix must come out the same with and without partitioning.
  for (const r of mix) {
    const a = await whole.authorize(r);
    const b = await partitioned.authorize(r);
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      throw new Error(`partitioned decision differs: ${JSON.stringify([r, a, b])}`);
    }
  }
  const fresh = new CedarAuthorizer({ cacheSize: 0 });
  fresh.use({ version: 1, text });
  const perKind = Math.max(1, Math.floor((count - 3) / RULE_KINDS));
  const row = {
    'raw-full': await measure((i) =>
      wasmCedarEngine.statefulIsAuthorized(raws[Math.abs(i) % raws.length] as (typeof raws)[0]),
    ),
    whole: await measure((i) => whole.authorize(at(i))),
    partitioned: await measure((i) => partitioned.authorize(at(i))),
    'partitioned-cached': await measure((i) => cached.authorize(at(i))),
    // Publish on each channel with a rule once, on an authorizer that has parsed no partition.
    'first-touch': await timeEach(
      Array.from(
        { length: perKind },
        (_, k) => () =>
          fresh.authorize({
            principal: { type: 'Agent', id: 'agent-2' },
            action: 'Publish',
            resource: { type: 'Channel', id: `ch-${k * RULE_KINDS + 1}` },
            resourceAttributes: { owner: 'someone', policy: 'open', allowlist: [] },
            context: { sizeBytes: 900 },
          }),
      ),
    ),
  };
  spread[`spread_${count}`] = row;
  for (const [name, r] of Object.entries(row)) {
    console.log(
      `${String(count).padStart(5)} spread    ${name.padEnd(18)} p50 ${String(r.p50Us).padStart(7)} µs   p99 ${String(r.p99Us).padStart(7)} µs`,
    );
  }
  console.log(
    `${String(count).padStart(5)} spread    partitions parsed: ${partitioned.stats().partitions} for the mix, ${fresh.stats().partitions} by first-touch`,
  );
}

const oneScopeWorstP99Us = Math.max(
  ...Object.values(results).flatMap((row) => [row.uncached?.p99Us ?? 0, row.cached?.p99Us ?? 0]),
);
const worstP99Us = Math.max(
  ...Object.values(spread).flatMap((row) => [
    row.partitioned?.p99Us ?? 0,
    row['partitioned-cached']?.p99Us ?? 0,
  ]),
);
console.log(
  JSON.stringify({
    bench: 'policy-authorization',
    iterations,
    node: process.version,
    results: { ...results, ...spread },
    goalP99Us: 1000,
    worstP99Us,
    goalMet: worstP99Us < 1000,
    oneScopeWorstP99Us,
    oneScopeGoalMet: oneScopeWorstP99Us < 1000,
  }),
);
