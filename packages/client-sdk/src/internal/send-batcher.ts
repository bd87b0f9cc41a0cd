/**
 * Coalesces envelopes submitted in the same event-loop turn into one SendMessages call, because
 * the server spends about as much CPU on a gRPC call as on verifying one envelope
 * (docs/envelope-processor.md, "Benchmark"). A lone envelope still goes through SendMessage.
 *
 * Each submitted envelope gets exactly the answer SendMessage would have given it: its own result,
 * or its own status decoded into the same ProofMessengerError. A failure of the whole call (the
 * connection, a deadline) rejects every envelope of that call with the same error. Retrying is the
 * caller's business, envelope by envelope: a retried envelope is simply submitted again.
 *
 * Caveats: a batch is cut at `maxEnvelopes` or `maxBytes` (the server refuses a batch whose
 * envelopes hold more than its PM_MAX_ENVELOPE_BYTES in all); a server that refuses a batch as too
 * large, or does not know SendMessages (UNIMPLEMENTED), gets the envelopes one call each. An
 * aborted `signal` rejects its envelope with CANCELLED at once; if the batch was already sent,
 * the server may still store that envelope, exactly as with a cancelled SendMessage.
 */
import { Code, ProofMessengerError, Reason } from '@proof-messenger/errors';
import type { Envelope, SendMessageResponse, SendMessagesResult } from '@proof-messenger/proto';
import { fromStatus } from '@proof-messenger/rpc';

/** How a SendBatcher reaches the server. */
export interface SendBatcherOptions {
  /** Most envelopes per SendMessages call (at most the server's 256); 1 disables batching. */
  readonly maxEnvelopes: number;
  /** Most header + payload bytes per SendMessages call. */
  readonly maxBytes: number;
  /** SendMessage for one envelope. */
  readonly sendOne: (envelope: Envelope, signal?: AbortSignal) => Promise<SendMessageResponse>;
  /** SendMessages; resolves with one result per envelope, in order. */
  readonly sendMany: (envelopes: Envelope[]) => Promise<readonly SendMessagesResult[]>;
}

interface Pending {
  readonly envelope: Envelope;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (sent: SendMessageResponse) => void;
  readonly reject: (error: unknown) => void;
}

const schedule: (run: () => void) => void =
  typeof setImmediate === 'function' ? (run) => setImmediate(run) : (run) => setTimeout(run, 0);

/** Gathers envelopes and sends them together; see the module header. */
export class SendBatcher {
  readonly #options: SendBatcherOptions;
  #pending: Pending[] = [];
  #bytes = 0;
  #scheduled = false;

  constructor(options: SendBatcherOptions) {
    this.#options = options;
  }

  /** Sends `envelope` with whatever else is submitted in this turn; SendMessage's answer for it. */
  submit(envelope: Envelope, signal?: AbortSignal): Promise<SendMessageResponse> {
    if (this.#options.maxEnvelopes <= 1) return this.#options.sendOne(envelope, signal);
    return new Promise((resolve, reject) => {
      const size = envelope.header.length + envelope.payload.length;
      if (this.#pending.length > 0 && this.#bytes + size > this.#options.maxBytes) this.#flush();
      this.#pending.push({ envelope, signal, resolve, reject });
      this.#bytes += size;
      if (this.#pending.length >= this.#options.maxEnvelopes) {
        this.#flush();
      } else if (!this.#scheduled) {
        this.#scheduled = true;
        schedule(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const batch = this.#pending.filter((item) => {
      if (item.signal?.aborted) item.reject(cancelled());
      return !item.signal?.aborted;
    });
    this.#pending = [];
    this.#bytes = 0;
    if (batch.length === 0) return;
    const [only] = batch;
    if (batch.length === 1 && only !== undefined) {
      this.#options.sendOne(only.envelope, only.signal).then(only.resolve, only.reject);
      return;
    }
    // A settled promise ignores later settlements, so an abort simply wins the race.
    for (const item of batch) {
      item.signal?.addEventListener('abort', () => item.reject(cancelled()), { once: true });
    }
    this.#options.sendMany(batch.map((item) => item.envelope)).then(
      (results) => {
        if (results.length !== batch.length) {
          const error = new ProofMessengerError(
            Code.INTERNAL,
            Reason.INTERNAL,
            `SendMessages answered ${results.length} results for ${batch.length} envelopes`,
          );
          for (const item of batch) item.reject(error);
          return;
        }
        batch.forEach((item, i) => {
          const outcome = results[i]?.outcome;
          if (outcome?.case === 'sent') item.resolve(outcome.value);
          else if (outcome?.case === 'error') item.reject(fromStatus(outcome.value));
          else
            item.reject(
              new ProofMessengerError(
                Code.INTERNAL,
                Reason.INTERNAL,
                'SendMessages answered a result without an outcome',
              ),
            );
        });
      },
      (error: unknown) => {
        // TOO_LARGE is the service's own limit; RESOURCE_EXHAUSTED without a reason, grpc-js's.
        const unbatchable =
          error instanceof ProofMessengerError &&
          (error.code === Code.UNIMPLEMENTED ||
            error.reason === Reason.TOO_LARGE ||
            (error.code === Code.RESOURCE_EXHAUSTED && error.reason === Reason.UNSPECIFIED));
        for (const item of batch) {
          if (unbatchable)
            this.#options.sendOne(item.envelope, item.signal).then(item.resolve, item.reject);
          else item.reject(error);
        }
      },
    );
  }
}

function cancelled(): ProofMessengerError {
  return new ProofMessengerError(Code.CANCELLED, Reason.UNSPECIFIED, 'the send was cancelled');
}
