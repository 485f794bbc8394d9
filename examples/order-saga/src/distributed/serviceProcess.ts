import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { raceAbort, systemClock } from '@keel/core';
import type { ServiceName } from './events.js';
import { RUN_CONFIG_ENV } from './runConfig.js';
import type { RunConfig, ServiceReport } from './runConfig.js';

/** The example's folder: services run from there so `--import tsx` finds its tsx. */
const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** How a service process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link ServiceProcess.start}. */
export interface ServiceProcessOptions {
  readonly config: RunConfig;
  /** Called with every report the process sends over IPC. */
  readonly onReport: (report: ServiceReport) => void;
}

/**
 * One service running as its own Node.js process (`node --import tsx <service>.ts`), with an
 * IPC channel for its reports. The last lines it wrote to stderr are kept for error messages.
 */
export class ServiceProcess {
  readonly name: ServiceName;
  /** Resolves when the service reports it is consuming; rejects if it fails or exits first. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  readonly #stderr: string[] = [];

  private constructor(name: ServiceName, child: ChildProcess, onReport: (report: ServiceReport) => void) {
    this.name = name;
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.#keep(chunk));
    child.stdout?.resume(); // services print nothing; never let a full pipe block one
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: ServiceReport) => {
        if (message.kind === 'ready') resolve();
        if (message.kind === 'failed') reject(new Error(`${name} failed to start: ${message.error}`));
        onReport(message);
      });
      void this.exited.then((exit) =>
        reject(new Error(`${name} exited before it was ready (${describeExit(exit)}).${this.stderrTail()}`)),
      );
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it
  }

  /** Starts the service `name` with the run's configuration (and `holdAfter`, if given). */
  static start(name: ServiceName, options: ServiceProcessOptions): ServiceProcess {
    const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
    const child = fork(file, [], {
      cwd: EXAMPLE_DIR,
      execArgv: ['--import', 'tsx', '--conditions=@keel/source'],
      env: { ...process.env, [RUN_CONFIG_ENV]: JSON.stringify(options.config) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new ServiceProcess(name, child, options.onReport);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Kills the process with SIGKILL (no chance to clean up) and waits until it is gone. */
  async kill(signal?: AbortSignal): Promise<ProcessExit> {
    this.#child.kill('SIGKILL');
    return raceAbort(this.exited, signal);
  }

  /** Asks the process to stop (SIGTERM); kills it when it has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ProcessExit> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return this.exited;
    this.#child.kill('SIGTERM');
    const timer = systemClock.setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      timer.cancel();
    }
  }

  /** The last lines the process wrote to stderr, as a suffix for error messages ('' when none). */
  stderrTail(): string {
    return this.#stderr.length === 0 ? '' : `\nIts last output:\n${this.#stderr.join('\n')}`;
  }

  #keep(chunk: string): void {
    this.#stderr.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    this.#stderr.splice(0, Math.max(0, this.#stderr.length - 20));
  }
}

function describeExit({ code, signal }: ProcessExit): string {
  return signal === null ? `exit code ${code}` : `signal ${signal}`;
}
