/** The AuditService implementation: one handler per RPC, each in `routes/`. */
import type { AuditService } from '@proof-messenger/proto';
import type { ServiceImplementation } from '@proof-messenger/rpc';
import type { GovernanceContext } from './context.ts';
import { getAuditKey } from './routes/get-audit-key.ts';
import { getCheckpoint } from './routes/get-checkpoint.ts';
import { getConsistencyProof } from './routes/get-consistency-proof.ts';
import { getEntries } from './routes/get-entries.ts';
import { getInclusionProof } from './routes/get-inclusion-proof.ts';
import { listCheckpoints } from './routes/list-checkpoints.ts';
import { queryAuditEvents } from './routes/query-audit-events.ts';

/** Handlers for every AuditService RPC. */
export function auditImplementation(
  ctx: GovernanceContext,
): ServiceImplementation<typeof AuditService> {
  return {
    getAuditKey: getAuditKey(ctx),
    getCheckpoint: getCheckpoint(ctx),
    listCheckpoints: listCheckpoints(ctx),
    getEntries: getEntries(ctx),
    getInclusionProof: getInclusionProof(ctx),
    getConsistencyProof: getConsistencyProof(ctx),
    queryAuditEvents: queryAuditEvents(ctx),
  };
}
