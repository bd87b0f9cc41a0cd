export type { DirectoryKey, KeyDirectoryOptions, KeySource } from './key-directory.ts';
export { grpcKeySource, KeyDirectory } from './key-directory.ts';
