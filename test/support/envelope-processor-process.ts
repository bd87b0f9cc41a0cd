/**
 * The envelope processor as a real separate process (`node services/envelope-processor/src/main.ts`),
 * so a SIGKILL is a real crash: no `destroy()`, no drained calls, no closed connections. It is
 * configured only through its environment, like in production, and listens on a fixed port
 * (PM_GRPC_PORT) so a restart comes back on the same address its clients already dial.
 */
import { fileURLToPath } from 'node:url';
import { type ChildExit, ChildService } from './child-service.ts';

const MAIN = fileURLToPath(
  new URL('../../services/envelope-processor/src/main.ts', import.meta.url),
);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LISTENING = /^envelope-processor listening on (\S+):(\d+)$/;

/** A restartable envelope-processor child process. */
export class EnvelopeProcessorProcess {
  /** `host:port` it listens on. */
  readonly address: string;
  readonly #env: Readonly<Record<string, string>>;
  #process: ChildService;

  private constructor(env: Readonly<Record<string, string>>, process: ChildService) {
    this.#env = env;
    this.#process = process;
    this.address = `${process.readyMatch[1]}:${process.readyMatch[2]}`;
  }

  /**
   * Starts the processor with `env` as its whole configuration (plus PATH and HOME); resolves on
   * its "listening" line.
   * @throws Error when env has no fixed PM_GRPC_PORT, or the process exits before listening
   */
  static async start(env: Readonly<Record<string, string>>): Promise<EnvelopeProcessorProcess> {
    if (!env.PM_GRPC_PORT || env.PM_GRPC_PORT === '0') {
      throw new Error('PM_GRPC_PORT must be a fixed port so a restart listens on the same address');
    }
    return new EnvelopeProcessorProcess(env, await EnvelopeProcessorProcess.#spawn(env));
  }

  static #spawn(env: Readonly<Record<string, string>>): Promise<ChildService> {
    return ChildService.start({
      name: 'envelope-processor',
      command: process.execPath,
      args: [MAIN],
      cwd: REPO_ROOT,
      // Only what the service needs: nothing of the test runner's environment leaks in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      ready: LISTENING,
      startTimeoutMs: 30_000,
    });
  }

  /** Process id of the current incarnation. */
  get pid(): number {
    return this.#process.pid;
  }

  get running(): boolean {
    return this.#process.running;
  }

  /** Its last output lines (the ready line, JSON log lines on stderr). */
  output(lines = 30): string {
    return this.#process.output(lines);
  }

  /** Crashes it (SIGKILL) and waits until it is gone. */
  kill(): Promise<ChildExit> {
    return this.#process.kill();
  }

  /** SIGTERM (in-flight calls drain), SIGKILL after `graceMs`. */
  stop(graceMs = 10_000): Promise<ChildExit> {
    return this.#process.stop(graceMs);
  }

  /**
   * Starts it again with the same environment, on the same address.
   * @throws Error when it is still running, or does not come back
   */
  async startAgain(): Promise<void> {
    if (this.running) throw new Error('the envelope processor is still running');
    this.#process = await EnvelopeProcessorProcess.#spawn(this.#env);
  }
}
