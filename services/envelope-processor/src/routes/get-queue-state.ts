/**
 * GetQueueState: the counts of one agent's queue — ready by priority, in flight (delivered, not
 * acknowledged), dead-lettered — for operators' dashboards and the CLI's `queue status`. An agent
 * reads only its own queue; an operator reads any, and learns NOT_FOUND for an id that is neither
 * registered nor has anything queued (a typo, most likely).
 */
import { requireSelf } from '@proof-messenger/auth';
import { InvalidArgumentError, NotFoundError } from '@proof-messenger/errors';
import type { GetQueueStateRequest } from '@proof-messenger/proto';
import { checkAgentId } from '@proof-messenger/protocol';
import { partitionOf } from '@proof-messenger/queue';
import type { HandlerContext } from '@proof-messenger/rpc';
import { callerOf, type EnvelopeProcessorContext } from '../context.ts';

export function getQueueState(ctx: EnvelopeProcessorContext) {
  return async (request: GetQueueStateRequest, call: HandlerContext) => {
    const caller = await callerOf(ctx, call);
    let agentId = request.agentId;
    if (agentId === '') {
      if (caller.kind !== 'agent') {
        throw new InvalidArgumentError(
          'agent_id is required for an operator: name the agent whose queue to report',
          { field: 'agent_id' },
        );
      }
      agentId = caller.agentId;
    }
    checkAgentId('agent_id', agentId);
    requireSelf(caller, agentId, `read the queue of ${agentId}`, true);
    const stats = await ctx.queue.stats(agentId);
    const { low, normal, high, critical } = stats.ready;
    const empty = low + normal + high + critical + stats.inFlight + stats.deadLettered === 0;
    if (empty && caller.kind === 'operator' && !(await ctx.directory.isRegistered(agentId))) {
      throw new NotFoundError(`agent ${agentId} is not registered and has nothing queued`, {
        field: 'agent_id',
      });
    }
    return {
      agentId,
      partition: partitionOf(agentId, ctx.config.partitions),
      ready: stats.ready,
      inFlight: stats.inFlight,
      deadLettered: stats.deadLettered,
    };
  };
}
