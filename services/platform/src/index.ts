export type { PlatformConfig } from './config.ts';
export { loadPlatformConfig } from './config.ts';
export type { Platform, PlatformOverrides } from './platform.ts';
export { createPlatform } from './platform.ts';
