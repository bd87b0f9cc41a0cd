/**
 * How a PolicyWatcher hears of a change made in its own process (the embedded mode has no Redis):
 * PolicyAdministration is one, and tells its listeners after every publish or activation.
 */

/** Something that announces policy changes in-process. */
export interface PolicyChangeSource {
  /** Calls `listener` with the newly active version after each change; returns an unsubscribe. */
  onChange(listener: (version: number) => void): () => void;
}

/** The Redis pub/sub channel PolicyAdministration publishes the new version number on. */
export const POLICY_CHANGED_CHANNEL = 'proof-messenger:policy-changed';
