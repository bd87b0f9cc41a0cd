// Starts the key-management service: Node's compile cache first, then src/main.ts (see
// @proof-messenger/rpc/compile-cache for why). Arguments pass through to main.ts.
import '@proof-messenger/rpc/compile-cache';

await import('../src/main.ts');
