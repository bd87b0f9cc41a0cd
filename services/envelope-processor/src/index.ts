export type { EnvelopeProcessorConfig } from './config.ts';
export { loadConfig } from './config.ts';
export type { EnvelopeProcessorContext } from './context.ts';
export type {
  EnvelopeProcessorOverrides,
  EnvelopeProcessorServer,
} from './envelope-processor-server.ts';
export { createEnvelopeProcessorServer } from './envelope-processor-server.ts';
