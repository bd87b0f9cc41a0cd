#!/usr/bin/env node
// The CLI: Node's compile cache first, then src/main.ts (see @proof-messenger/rpc/compile-cache:
// a warm cache spares every command the TypeScript stripper's start-up and memory).
import '@proof-messenger/rpc/compile-cache';

await import('../src/main.ts');
