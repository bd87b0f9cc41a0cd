/**
 * When an agent leaves a channel (or the channel is deleted), its member key and the sender keys
 * it received for that channel are no longer needed once what is already queued has been read.
 * They are not deleted at once — copies published before the change may still be in the queue,
 * behind the notice — but given an expiry, so the key store's `deleteExpired` (run by
 * `AgentKeys.maintain`) wipes them later: forward secrecy for the channel's past.
 */
import type { KeyStore } from '../key-store.ts';

/** How long a left channel's keys stay readable: the default channel retention. */
export const RETIRED_CHANNEL_KEY_MS = 7 * 86_400_000;

/** Sets an expiry on every key of `channelId` that has none yet; returns how many. */
export async function retireChannelKeys(
  keyStore: KeyStore,
  channelId: string,
  nowMs: number,
): Promise<number> {
  let retired = 0;
  for (const kind of ['channel-member', 'channel-sender'] as const) {
    for (const record of await keyStore.list({ kind, peerId: channelId })) {
      if (record.expiresAtMs !== undefined) continue;
      await keyStore.setExpiry(record.keyId, nowMs + RETIRED_CHANNEL_KEY_MS);
      retired++;
    }
  }
  return retired;
}
