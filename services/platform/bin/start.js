// Starts the platform service: its runtime settings first (see @proof-messenger/rpc/runtime-tuning),
// then Node's compile cache (see @proof-messenger/rpc/compile-cache), then src/main.ts.
// Arguments pass through to main.ts.
import '@proof-messenger/rpc/runtime-tuning';
import '@proof-messenger/rpc/compile-cache';

await import('../src/main.ts');
