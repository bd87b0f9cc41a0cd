/**
 * The envelope fields a caller may set on a direct or a channel message, copied from its options
 * only where given (so defaults stay the protocol's, and exactOptionalPropertyTypes holds).
 */
import type { EnvelopeFields } from '@proof-messenger/protocol';

type Optional = Pick<EnvelopeFields, 'priority' | 'ttlSeconds' | 'contentType' | 'correlationId'>;

export function optionalFields(
  options: {
    readonly [K in keyof Optional]?: Optional[K] | undefined;
  },
): Optional {
  return {
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds }),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
  };
}
