import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { raceAbort, systemClock } from '@keel/core';
import type { ChaosConfig, WorkerReport } from './config.js';
import { CHAOS_CONFIG_ENV } from './config.js';

/** The package folder: workers run from there so `--import tsx` finds its tsx. */
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const WORKER_FILE = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** How a worker process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * One chaos worker running as its own Node.js process (`node --import tsx worker.ts`), with an
 * IPC channel for its `ready` report. Keeps the last lines it wrote to stderr for messages.
 */
export class WorkerProcess {
  readonly slot: number;
  /** Resolves once the worker reports its workers started; rejects if it fails or exits first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  readonly #stderr: string[] = [];
  #started = false;

  constructor(slot: number, config: ChaosConfig) {
    this.slot = slot;
    this.#child = fork(WORKER_FILE, [], {
      cwd: PACKAGE_DIR,
      execArgv: ['--import', 'tsx', '--conditions=@keel/source'],
      env: { ...process.env, [CHAOS_CONFIG_ENV]: JSON.stringify(config), KEEL_CHAOS_SLOT: String(slot) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#keep(chunk));
    this.#child.stdout?.resume();
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.ready = new Promise<void>((resolve, reject) => {
      this.#child.on('message', (report: WorkerReport) => {
        if (report.kind === 'ready') {
          this.#started = true;
          resolve();
        } else reject(new Error(`Worker ${slot} failed to start: ${report.error}${this.stderrTail()}`));
      });
      void this.exited.then(({ code, signal }) =>
        reject(
          new Error(
            `Worker ${slot} exited before it was ready (${signal ?? `code ${code}`}).${this.stderrTail()}`,
          ),
        ),
      );
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Whether the process reported its workers running and has not exited since. */
  get running(): boolean {
    return this.#started && this.alive;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Kills the process with SIGKILL (no cleanup at all) and waits until it is gone. */
  async kill(signal?: AbortSignal): Promise<ProcessExit> {
    if (this.alive) this.#child.kill('SIGKILL');
    return raceAbort(this.exited, signal);
  }

  /** Asks the process to stop (SIGTERM) and waits; kills it when it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    if (!this.alive) return this.exited;
    this.#child.kill('SIGTERM');
    const timer = systemClock.setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      timer.cancel();
    }
  }

  /** The last lines the process wrote to stderr, as a suffix for messages ('' when none). */
  stderrTail(): string {
    return this.#stderr.length === 0 ? '' : `\nIts last output:\n${this.#stderr.join('\n')}`;
  }

  #keep(chunk: string): void {
    this.#stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    this.#stderr.splice(0, Math.max(0, this.#stderr.length - 20));
  }
}
