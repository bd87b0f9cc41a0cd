export type { KeyManagementConfig } from './config.ts';
export { loadConfig } from './config.ts';
export type { KeyManagementContext, KeyManagementStores, Logger } from './context.ts';
export type { KeyManagementModule, KeyManagementOverrides } from './key-management-module.ts';
export { createKeyManagementModule, localKeyHistory } from './key-management-module.ts';
export type { KeyManagementServer } from './key-management-server.ts';
export { createKeyManagementServer } from './key-management-server.ts';
export { RotationScheduler } from './rotation-scheduler.ts';
