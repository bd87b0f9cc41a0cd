/**
 * Fails fast when a workspace script runs on a Node older than the one the project pins.
 * pnpm puts node_modules/.bin (where the pinned `node` package installs Node 24) first on PATH,
 * so this only trips when someone calls a script with a foreign runtime.
 */
const [major] = process.versions.node.split('.').map(Number);
if (major === undefined || major < 24) {
  console.error(
    `Proof-Messenger needs Node 24 (found ${process.version}). Run scripts through pnpm so the pinned node package is used.`,
  );
  process.exit(1);
}
console.log(`node ${process.version}, OpenSSL ${process.versions.openssl}`);
