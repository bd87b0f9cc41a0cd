/** An AuditSink that keeps what it is given, for assertions. */
import type { AuditEvent, AuditSink } from '@proof-messenger/audit-log';

/** The sink and the events it received, in order. */
export interface RecordingAudit extends AuditSink {
  readonly events: AuditEvent[];
}

/** A fresh recording sink. */
export function recordingAudit(): RecordingAudit {
  const events: AuditEvent[] = [];
  return { events, record: (event) => events.push(event) };
}
