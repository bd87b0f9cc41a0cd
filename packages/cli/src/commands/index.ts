/** Every command of the CLI, in the order `--help` lists them. */
import type { Command } from '../command.ts';
import { agentCreate } from './agent-create.ts';
import { agentExportPublic } from './agent-export-public.ts';
import { agentRegister } from './agent-register.ts';
import { agentShow } from './agent-show.ts';
import { auditCheckpoint } from './audit-checkpoint.ts';
import { auditConsistency } from './audit-consistency.ts';
import { auditCreateKey } from './audit-create-key.ts';
import { auditKey } from './audit-key.ts';
import { auditProve } from './audit-prove.ts';
import { auditQuery } from './audit-query.ts';
import { auditVerify } from './audit-verify.ts';
import { channelCreate } from './channel-create.ts';
import { channelDelete } from './channel-delete.ts';
import { channelPublish } from './channel-publish.ts';
import { channelShow } from './channel-show.ts';
import { channelSubscribe } from './channel-subscribe.ts';
import { channelSubscribers } from './channel-subscribers.ts';
import { channelUnsubscribe } from './channel-unsubscribe.ts';
import { channelUpdate } from './channel-update.ts';
import { policyActivate } from './policy-activate.ts';
import { policyList } from './policy-list.ts';
import { policyPublish } from './policy-publish.ts';
import { policySchema } from './policy-schema.ts';
import { policyShow } from './policy-show.ts';
import { policyValidate } from './policy-validate.ts';
import { queueStatus } from './queue-status.ts';
import { receive } from './receive.ts';
import { reply } from './reply.ts';
import { request } from './request.ts';
import { send } from './send.ts';
import { start } from './start.ts';
import { verify } from './verify.ts';

export const COMMANDS: readonly Command[] = [
  agentCreate,
  agentRegister,
  agentShow,
  agentExportPublic,
  send,
  receive,
  request,
  reply,
  channelCreate,
  channelShow,
  channelUpdate,
  channelDelete,
  channelSubscribe,
  channelUnsubscribe,
  channelPublish,
  channelSubscribers,
  verify,
  queueStatus,
  policyValidate,
  policyPublish,
  policyShow,
  policyList,
  policyActivate,
  policySchema,
  auditKey,
  auditCreateKey,
  auditCheckpoint,
  auditQuery,
  auditProve,
  auditConsistency,
  auditVerify,
  start,
];
