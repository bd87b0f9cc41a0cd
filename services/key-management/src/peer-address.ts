/**
 * The client address of a grpc-js peer string, without its port: the subject under which
 * unauthenticated calls (RegisterIdentity) are rate limited, since they have no agent to name.
 * Every connection of one host shares it, so clients behind one NAT, proxy or the gRPC-web gateway
 * share one bucket; the limit is sized as a ceiling for that (docs/key-management.md).
 */

/**
 * `127.0.0.1:5301` → `127.0.0.1`, `[::1]:5301` → `::1`, `ipv4:10.0.0.7:80` → `10.0.0.7`; anything
 * else (a Unix socket path, an address without a port) is returned as it is.
 */
export function peerAddress(peer: string): string {
  const address = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(address);
  if (bracketed !== null) return bracketed[1] ?? address;
  const hostPort = /^([^:]+):\d+$/.exec(address);
  return hostPort?.[1] ?? address;
}
