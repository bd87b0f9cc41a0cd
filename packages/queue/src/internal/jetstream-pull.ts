/**
 * One no-wait pull from a JetStream pull consumer over plain NATS: a `CONSUMER.MSG.NEXT` request
 * with `{ batch, no_wait: true }` to a private inbox, collecting messages until the batch is full
 * or the server ends it with a status (404 no messages, 408, 409). The library's `fetch` always
 * waits at least its `expires`; the queue needs "what is ready now" to serve the priorities in
 * order (one pull per priority, highest first) without leasing more than it returns.
 */
import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { UnavailableError } from '@proof-messenger/errors';

/** What a pull got: messages, and whether the consumer is missing (to be created again). */
export interface PullResult {
  readonly messages: Msg[];
  readonly consumerMissing: boolean;
}

/**
 * Pulls up to `batch` ready messages from `stream`/`consumer`.
 * @throws UnavailableError when the server does not answer within `timeoutMs`
 */
export function pullNoWait(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  batch: number,
  timeoutMs: number,
): Promise<PullResult> {
  return new Promise((resolve, reject) => {
    const messages: Msg[] = [];
    const inbox = createInbox();
    const finish = (result: PullResult | Error) => {
      clearTimeout(timer);
      sub.unsubscribe();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err !== null) {
          finish(new UnavailableError('the queue server failed a pull', { cause: err }));
          return;
        }
        const code = msg.headers?.code ?? 0;
        if (code === 0 && msg.reply !== undefined && msg.reply !== '') {
          messages.push(msg);
          if (messages.length >= batch) finish({ messages, consumerMissing: false });
          return;
        }
        if (code === 100) return; // heartbeat
        // 503: no responders for the API (consumer or stream gone on some servers); 409 consumer
        // deleted; 404 / 408: nothing (more) ready.
        const missing =
          code === 503 ||
          (code === 409 && /consumer (deleted|not found)/i.test(msg.headers?.description ?? ''));
        finish({ messages, consumerMissing: missing });
      },
    });
    const timer = setTimeout(() => {
      if (messages.length > 0) finish({ messages, consumerMissing: false });
      else
        finish(
          new UnavailableError(`the queue server did not answer a pull within ${timeoutMs} ms`),
        );
    }, timeoutMs);
    nc.publish(
      `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
      JSON.stringify({ batch, no_wait: true }),
      { reply: inbox },
    );
  });
}
