/** The error reasons of @proof-messenger/errors mirror proofmessenger.v1.ErrorReason exactly. */
import { Reason } from '@proof-messenger/errors';
import { ErrorReason, ErrorReasonSchema } from '@proof-messenger/proto';
import { describe, expect, it } from 'vitest';

describe('Reason', () => {
  it('has the same names and numbers as the proto enum', () => {
    const fromProto = Object.fromEntries(
      ErrorReasonSchema.values.map((value) => [value.localName, value.number]),
    );
    expect(Reason).toEqual(fromProto);
    expect(Reason.REPLAY).toBe(ErrorReason.REPLAY);
  });
});
