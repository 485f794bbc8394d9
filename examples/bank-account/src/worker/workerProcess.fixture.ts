import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { HealthReport } from '@keel/core';

/** The example's folder: the child runs from there so `--import tsx` finds its tsx. */
const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const MAIN_FILE = fileURLToPath(new URL('./main.ts', import.meta.url));

/** How the child process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What a probe answered. */
export interface ProbeAnswer {
  readonly status: number;
  readonly report: HealthReport;
}

/** The worker's projection as its health report shows it. */
export interface ProjectionFigures {
  /** Whether this process owns (runs) the projection. */
  readonly owned: boolean;
  readonly checkpoint: number;
  readonly lag: number | undefined;
  readonly head: number | undefined;
}

/**
 * `pnpm worker` as a real child process (`node --import tsx src/worker/main.ts`), with the
 * settings in `env` (on top of this process's), its output kept, and probes to call.
 */
export class WorkerProcess {
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  #output = '';

  constructor(env: Readonly<Record<string, string>>) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@keel/source', MAIN_FILE], {
      cwd: EXAMPLE_DIR,
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.#output += chunk));
    this.#child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.#output += chunk));
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Everything the process wrote so far, stdout and stderr. */
  get output(): string {
    return this.#output;
  }

  /** Whether the process is still running. */
  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The probe port it printed (`… port 41197`), waiting at most `timeoutMs` for the line. */
  async port(timeoutMs = 30_000): Promise<number> {
    let port = 0;
    await this.until(
      () => {
        port = Number(/port (\d+)/.exec(this.#output)?.[1] ?? 0);
        return port > 0;
      },
      'the probe port line',
      timeoutMs,
    );
    return port;
  }

  /** Calls a probe path (`/readyz`, `/healthz`, …) once, with a bounded wait. */
  async probe(path: string): Promise<ProbeAnswer> {
    const port = await this.port();
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, report: (await response.json()) as HealthReport };
  }

  /** The figures of `projection` in the readiness report (undefined before the daemon runs). */
  async figures(projection: string): Promise<ProjectionFigures | undefined> {
    const details = (await this.probe('/readyz')).report.workers['projections']?.details;
    const state = (details?.['projections'] as Record<string, ProjectionFigures> | undefined)?.[projection];
    if (state === undefined) return undefined;
    return {
      owned: state.owned,
      checkpoint: state.checkpoint,
      lag: state.lag,
      head: details?.['headPosition'] as number | undefined,
    };
  }

  /**
   * Waits (polling every 100 ms, at most `timeoutMs`) until `condition` holds; a condition that
   * throws (a probe before the server listens) counts as not yet. Fails with the process output,
   * at once when the process has exited.
   */
  async until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      const exitedBefore = !this.alive;
      if (
        await Promise.resolve()
          .then(condition)
          .then(Boolean, () => false)
      )
        return;
      if (exitedBefore) throw new Error(this.#failure(`exited while waiting for ${what}`));
      if (Date.now() > giveUpAt)
        throw new Error(this.#failure(`still waited for ${what} after ${timeoutMs} ms`));
      await sleep(100);
    }
  }

  /** Sends `SIGTERM` and waits at most `timeoutMs` for the exit. */
  async terminate(timeoutMs = 30_000): Promise<ProcessExit> {
    this.#child.kill('SIGTERM');
    let exit: ProcessExit | undefined;
    void this.exited.then((value) => (exit = value));
    await this.until(() => exit !== undefined, 'the exit after SIGTERM', timeoutMs);
    return exit!;
  }

  /** Kills it with `SIGKILL` if it still runs (test cleanup) and waits for the exit. */
  async kill(): Promise<void> {
    if (this.alive) this.#child.kill('SIGKILL');
    await this.exited;
  }

  #failure(message: string): string {
    return `The worker ${message}. Its output:\n${this.#output}`;
  }
}
