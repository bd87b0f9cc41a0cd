/**
 * A private nats-server with JetStream for fault tests: the Debian binary on a free 127.0.0.1
 * port with its own store directory, never the machine's shared server (4222,
 * /var/lib/nats-server). It can be stopped (SIGTERM, the server flushes and exits; SIGKILL after
 * a grace period), crashed (SIGKILL) and started again on the same port and store, so clients
 * reconnect to the same URL and find their streams. `close` stops it and deletes the store.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChildExit, ChildService } from './child-service.ts';
import { freePort } from './free-port.ts';

/** Where Debian's nats-server package installs the binary. */
export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';

/** Options of `NatsServer.start`. */
export interface NatsServerOptions {
  /** The nats-server binary (default /usr/sbin/nats-server). */
  readonly binary?: string;
  /** How long a start waits until the server accepts connections (default 20 000 ms). */
  readonly startTimeoutMs?: number;
}

/** Resolves once a TCP client on `port` receives the server's INFO line. */
async function acceptsConnections(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      const done = (result: boolean) => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('INFO ')));
    });
    if (ok) return;
    if (Date.now() >= deadline) {
      throw new Error(`nats-server on port ${port} accepts no connections after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

/** A nats-server child process with JetStream, restartable on the same port and store. */
export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  readonly #binary: string;
  readonly #startTimeoutMs: number;
  #process: ChildService | undefined;

  private constructor(port: number, storeDir: string, options: NatsServerOptions) {
    this.port = port;
    this.storeDir = storeDir;
    this.#binary = options.binary ?? NATS_SERVER_BINARY;
    this.#startTimeoutMs = options.startTimeoutMs ?? 20_000;
  }

  /** Whether the binary is installed (tests skip outside CI when it is not). */
  static installed(binary = NATS_SERVER_BINARY): boolean {
    return existsSync(binary);
  }

  /**
   * Starts a server on a free port with a fresh store directory.
   * @throws Error with the server's last output when it does not come up
   */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const storeDir = mkdtempSync(join(tmpdir(), 'pm-nats-'));
    const server = new NatsServer(await freePort(), storeDir, options);
    try {
      await server.startAgain();
    } catch (err) {
      rmSync(storeDir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  /** `nats://127.0.0.1:<port>` */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Whether the server process is running. */
  get running(): boolean {
    return this.#process?.running ?? false;
  }

  /** The server's last log lines. */
  output(lines = 30): string {
    return this.#process?.output(lines) ?? '';
  }

  /**
   * Starts the server (again) on the same port and store; resolves when it accepts connections.
   * @throws Error when it is already running, or does not come up
   */
  async startAgain(): Promise<void> {
    if (this.running) throw new Error(`nats-server on port ${this.port} is already running`);
    const started = performance.now();
    this.#process = await ChildService.start({
      name: `nats-server (port ${this.port})`,
      command: this.#binary,
      args: ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir],
      ready: /Server is ready/,
      startTimeoutMs: this.#startTimeoutMs,
    });
    const left = this.#startTimeoutMs - (performance.now() - started);
    await acceptsConnections(this.port, Math.max(1000, left));
  }

  /** Stops it: SIGTERM (JetStream flushes and shuts down), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ChildExit | undefined> {
    return this.#process?.stop(graceMs);
  }

  /** Crashes it with SIGKILL. */
  async kill(): Promise<ChildExit | undefined> {
    return this.#process?.kill();
  }

  /** Stops and starts it on the same port and store. */
  async restart(graceMs = 10_000): Promise<void> {
    await this.stop(graceMs);
    await this.startAgain();
  }

  /** Stops the server and deletes its store directory. */
  async close(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.storeDir, { recursive: true, force: true });
    }
  }
}
