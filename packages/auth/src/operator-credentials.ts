/**
 * Operator credentials: long random secrets (`pmop_<43 base64url chars>`) that operators present
 * as `authorization: Operator <credential>`. Services store only their SHA-256, configured as
 * `PM_OPERATOR_CREDENTIALS=name:sha256hex,…`, so configuration files and dumps do not leak them.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '@proof-messenger/errors';

interface Entry {
  readonly name: string;
  readonly hash: Buffer;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The set of operator credentials a service accepts. */
export class OperatorCredentials {
  readonly #entries: readonly Entry[];

  private constructor(entries: readonly Entry[]) {
    this.#entries = entries;
  }

  /**
   * Parses `name:sha256hex,…` (empty allows no operator).
   * @throws InvalidArgumentError naming the malformed entry
   */
  static parse(spec: string): OperatorCredentials {
    const entries = spec
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
      .map((part) => {
        const [name, hex] = part.split(':');
        if (
          name === undefined ||
          hex === undefined ||
          !/^[a-z0-9._-]{1,64}$/.test(name) ||
          !/^[0-9a-f]{64}$/.test(hex)
        ) {
          throw new InvalidArgumentError(
            `operator credential entry "${part.slice(0, 80)}" must be name:sha256hex (lower-case name, 64 hex digits)`,
          );
        }
        return { name, hash: Buffer.from(hex, 'hex') };
      });
    return new OperatorCredentials(entries);
  }

  /** A new random credential and the `name:sha256hex` entry that accepts it. */
  static generate(name: string): { credential: string; entry: string } {
    const credential = `pmop_${randomBytes(32).toString('base64url')}`;
    return { credential, entry: OperatorCredentials.entryFor(name, credential) };
  }

  /** The `name:sha256hex` entry that accepts an existing credential. */
  static entryFor(name: string, credential: string): string {
    return `${name}:${sha256(credential).toString('hex')}`;
  }

  /** The operator name for a presented credential, or undefined. Constant time per entry. */
  match(credential: string): string | undefined {
    const hash = sha256(credential);
    let found: string | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(hash, entry.hash)) found = entry.name;
    }
    return found;
  }
}
