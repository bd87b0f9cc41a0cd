/** Every command of the CLI, in the order `--help` lists them. */
import type { Command } from '../command.ts';
import { agentCreate } from './agent-create.ts';
import { agentExportPublic } from './agent-export-public.ts';
import { agentRegister } from './agent-register.ts';
import { agentShow } from './agent-show.ts';
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
  verify,
  queueStatus,
  start,
];
