export type { EnvelopeProcessorConfig } from './config.ts';
export { loadConfig } from './config.ts';
export type { EnvelopeProcessorContext } from './context.ts';
export type {
  EnvelopeProcessorModule,
  EnvelopeProcessorOverrides,
} from './envelope-processor-module.ts';
export { createEnvelopeProcessorModule } from './envelope-processor-module.ts';
export type { EnvelopeProcessorServer } from './envelope-processor-server.ts';
export { createEnvelopeProcessorServer } from './envelope-processor-server.ts';
