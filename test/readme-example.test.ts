/**
 * The README's SDK example runs exactly as printed: this test cuts the code block between the
 * `readme-example` markers out of README.md, writes it to a file inside this package (so its
 * `@proof-messenger/client-sdk` import resolves like an application's would), and runs it with
 * Node against a platform process started for the test.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Deployment, startEmbedded } from './support/deployment.ts';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The TypeScript between the markers, without the fence lines. */
function readmeExample(): string {
  const text = readFileSync(README, 'utf8');
  const match =
    /<!-- readme-example:start -->\n```ts\n([\s\S]*?)```\n<!-- readme-example:end -->/.exec(text);
  if (match?.[1] === undefined) throw new Error('README.md has no readme-example block');
  return match[1];
}

describe('the README SDK example', () => {
  let platform: Deployment;
  let workDir: string;

  beforeAll(async () => {
    platform = await startEmbedded();
    workDir = mkdtempSync(join(HERE, '.work-'));
  }, 60_000);

  afterAll(async () => {
    rmSync(workDir, { recursive: true, force: true });
    await platform?.close();
  });

  it('is about ten lines and prints what bob received', async () => {
    const code = readmeExample();
    const lines = code.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeLessThanOrEqual(14);

    const file = join(workDir, 'example.ts');
    writeFileSync(file, code);
    const { stdout } = await run(process.execPath, [file], {
      env: { PATH: process.env.PATH ?? '', PM_ADDRESS: platform.keyManagementAddress },
      timeout: 30_000,
    });
    expect(stdout).toMatch(
      /^alice-[0-9a-f-]{36} says: Hello Bob: end-to-end encrypted, signed by Alice\.\n$/,
    );
  });
});
