/**
 * `@proof-messenger/storage/testing`: helpers for test suites that run against real PostgreSQL
 * and Redis. A separate entry point so production code never imports child_process launching.
 */
export type { RequireServicesOptions, ServiceAvailability, TestService } from './test-services.ts';
export { postgresUrl, redisUrl, requireServices, uniqueSchemaName } from './test-services.ts';
