/**
 * A service run as a real child process for fault tests: started, awaited until it prints its
 * ready line, stopped politely (SIGTERM, then SIGKILL after a grace period) or crashed (SIGKILL).
 * The last lines of its stdout and stderr are kept for failure messages. Children still running
 * when the test process exits are killed, so an aborted run leaves no server behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What to run and how to know it is ready. */
export interface ChildServiceOptions {
  /** Name in messages, e.g. `nats-server`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** A line (stdout or stderr) that means "ready"; its match is returned by start. */
  readonly ready: RegExp;
  /** How long start waits for the ready line (default 20 000 ms). */
  readonly startTimeoutMs?: number;
}

const TAIL_LINES = 200;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** One running child process. */
export class ChildService {
  readonly name: string;
  readonly pid: number;
  /** The match of the ready line. */
  readonly readyMatch: RegExpMatchArray;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ChildExit>;
  readonly #child: ChildProcess;
  readonly #tail: string[];
  #exit: ChildExit | undefined;

  private constructor(
    name: string,
    child: ChildProcess,
    readyMatch: RegExpMatchArray,
    tail: string[],
    exited: Promise<ChildExit>,
  ) {
    this.name = name;
    this.pid = child.pid ?? -1;
    this.#child = child;
    this.readyMatch = readyMatch;
    this.#tail = tail;
    this.exited = exited.then((exit) => {
      this.#exit = exit;
      return exit;
    });
  }

  /**
   * Spawns the process and resolves once it printed a line matching `options.ready`.
   * @throws Error naming the process, with its last output, when it exits or stays silent first
   */
  static start(options: ChildServiceOptions): Promise<ChildService> {
    installExitHook();
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    const tail: string[] = [];
    const exited = new Promise<ChildExit>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      });
    });
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    return new Promise<ChildService>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        const output = tail.slice(-30).join('\n');
        reject(new Error(`${options.name} ${why}; last output:\n${output}`));
      };
      const timer = setTimeout(
        () => fail(`printed no ready line within ${timeoutMs} ms`),
        timeoutMs,
      );
      child.once('error', (err) => fail(`could not be started: ${err.message}`));
      void exited.then(({ code, signal }) =>
        fail(`exited (${signal ?? code}) before it was ready`),
      );
      const onLine = (line: string) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        const match = settled ? null : line.match(options.ready);
        if (match === null) return;
        settled = true;
        clearTimeout(timer);
        resolve(new ChildService(options.name, child, match, tail, exited));
      };
      for (const stream of [child.stdout, child.stderr]) {
        if (stream !== null)
          createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
      }
    });
  }

  /** Whether the process has not exited yet. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines it printed (stdout and stderr interleaved). */
  output(lines = 30): string {
    return this.#tail.slice(-lines).join('\n');
  }

  /** Sends SIGTERM and waits; SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ChildExit> {
    if (!this.running) return this.exited;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Crashes it: SIGKILL, then waits until it is gone. */
  async kill(): Promise<ChildExit> {
    if (!this.running) return this.exited;
    this.#child.kill('SIGKILL');
    return this.exited;
  }
}
