/**
 * The wire-contract gate: `buf lint` must pass, and regenerating the protobuf-es code must change
 * nothing that is committed in packages/proto/src/gen. Generation goes to a temporary directory and
 * is compared file by file, so the check never touches the work tree.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const committed = join(root, 'packages/proto/src/gen');

function run(args: string[]): void {
  execFileSync('buf', args, { cwd: root, stdio: 'inherit' });
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile())
    .map((path) => relative(dir, path))
    .sort();
}

run(['lint', 'proto']);
const scratch = mkdtempSync(join(tmpdir(), 'pm-proto-'));
try {
  run(['generate', '--output', scratch]);
  const fresh = join(scratch, 'packages/proto/src/gen');
  const before = listFiles(committed);
  const after = listFiles(fresh);
  const problems: string[] = [];
  for (const file of new Set([...before, ...after])) {
    if (!before.includes(file)) problems.push(`missing from the commit: ${file}`);
    else if (!after.includes(file)) problems.push(`no longer generated: ${file}`);
    else if (
      readFileSync(join(committed, file), 'utf8') !== readFileSync(join(fresh, file), 'utf8')
    ) {
      problems.push(`stale: ${file}`);
    }
  }
  if (problems.length > 0) {
    console.error(
      `Generated code is out of date; run \`pnpm proto:generate\` and commit:\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(`buf lint passed; ${before.length} generated files are up to date`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
