/**
 * Test helpers for packages that run against NATS: `@proof-messenger/queue/testing`. Not part of
 * the runtime surface.
 */
export type { NatsAvailability } from './require-nats.ts';
export { deleteStreams, natsUrl, requireNats } from './require-nats.ts';
