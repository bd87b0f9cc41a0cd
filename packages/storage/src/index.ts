export {
  isUniqueViolation,
  mapPostgresError,
  mapRedisError,
  mapSqliteError,
} from './driver-errors.ts';
export type { Migration } from './migrate.ts';
export { migrate } from './migrate.ts';
export type { PostgresDatabaseOptions } from './postgres-database.ts';
export { openPostgresDatabase } from './postgres-database.ts';
export type { RedisClient, RedisOptions } from './redis-client.ts';
export { openRedis } from './redis-client.ts';
export type { SqlDatabase, SqlDialect, SqlRow, SqlValue } from './sql-database.ts';
export type { SqliteDatabaseOptions } from './sqlite-database.ts';
export { openSqliteDatabase } from './sqlite-database.ts';
export { valuesList } from './values-list.ts';
