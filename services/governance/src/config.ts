/**
 * Configuration of the governance service as its own process (distributed mode): the shared peer
 * settings (listen address, secrets, key-management address; see @proof-messenger/key-directory)
 * plus the governance settings (governance-config.ts). Default port 50054.
 */
import { InvalidArgumentError } from '@proof-messenger/errors';
import { loadPeerServiceConfig, type PeerServiceConfig } from '@proof-messenger/key-directory';
import { type GovernanceConfig, loadGovernanceConfig } from './governance-config.ts';

export interface GovernanceServiceConfig extends PeerServiceConfig {
  readonly governance: GovernanceConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the configuration from `env` (process.env by default).
 * @throws InvalidArgumentError naming the variable that is missing or malformed
 */
export function loadConfig(env: Env = process.env): GovernanceServiceConfig {
  const peer = loadPeerServiceConfig(env, 50054);
  const governance = loadGovernanceConfig(env, peer.dataDir);
  if (governance.databaseUrl !== undefined && governance.auditKeyFile === undefined) {
    throw new InvalidArgumentError(
      'the governance service signs audit checkpoints: set PM_AUDIT_KEY_FILE to the audit key file (create one with `pm audit create-key`)',
    );
  }
  return { ...peer, governance };
}
