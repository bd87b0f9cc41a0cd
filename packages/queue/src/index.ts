export type { JetStreamMessageQueueOptions } from './jetstream-message-queue.ts';
export { JetStreamMessageQueue } from './jetstream-message-queue.ts';
export type {
  EnqueueResult,
  MessageQueue,
  PriorityCounts,
  QueueDelivery,
  QueueEvent,
  QueueMessage,
  QueueMessageKind,
  QueuePriority,
  QueueSettings,
  QueueStats,
  ReceiveOptions,
} from './message-queue.ts';
export { DEFAULT_QUEUE_SETTINGS } from './message-queue.ts';
export { partitionOf } from './partition-of.ts';
export { QUEUE_MIGRATIONS } from './queue-migrations.ts';
export type { SqliteMessageQueueOptions } from './sqlite-message-queue.ts';
export { SqliteMessageQueue } from './sqlite-message-queue.ts';
