/** Policy version records as PolicyService messages. */
import { create } from '@bufbuild/protobuf';
import type { PolicyVersionRecord, PolicyVersionSummary } from '@proof-messenger/policy';
import { type PolicyVersion, PolicyVersionSchema } from '@proof-messenger/proto';

/** The wire form of a version; its text only when the record has one. */
export function toPolicyVersionMessage(
  record: PolicyVersionSummary | PolicyVersionRecord,
): PolicyVersion {
  return create(PolicyVersionSchema, {
    version: BigInt(record.version),
    sha256: record.sha256,
    author: record.author,
    comment: record.comment,
    createdAtMs: BigInt(record.createdAtMs),
    active: record.active,
    text: 'text' in record ? record.text : '',
  });
}
