import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { servicesRequired } from '@keel/test-services';

/** The Prometheus binary the integration test runs (Debian's `prometheus` package by default). */
export const PROMETHEUS_BIN = process.env['KEEL_PROMETHEUS_BIN'] || '/usr/bin/prometheus';

/**
 * Whether the Prometheus binary is installed. When it is not: throws under
 * `KEEL_REQUIRE_SERVICES=1`, else prints why the tests are skipped and returns `false`.
 */
export async function prometheusAvailable(): Promise<boolean> {
  try {
    await access(PROMETHEUS_BIN, constants.X_OK);
    return true;
  } catch {
    const reason = `the Prometheus binary ${PROMETHEUS_BIN} is missing (apt-get install prometheus, or set KEEL_PROMETHEUS_BIN)`;
    if (servicesRequired()) throw new Error(`${reason}, and KEEL_REQUIRE_SERVICES=1 forbids skipping.`);
    process.stderr.write(`[skip] ${reason}: skipping the tests that need it.\n`);
    return false;
  }
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** One sample of an instant query. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A Prometheus server started for a test; `stop()` it afterwards. */
export interface PrometheusServer {
  readonly url: string;
  /** Runs an instant PromQL query through `/api/v1/query`. */
  query(promql: string): Promise<Sample[]>;
  /** Repeats `query` until `done` accepts its samples; throws after `timeoutMs`. */
  waitFor(promql: string, done: (samples: Sample[]) => boolean, timeoutMs?: number): Promise<Sample[]>;
  /** Stops the server and removes its configuration and data. */
  stop(): Promise<void>;
}

/**
 * Starts the Prometheus binary (not a service) on a free loopback port with a temporary
 * configuration and TSDB, scraping `target` (`host:port`) every second, and waits until it is ready.
 */
export async function startPrometheus(target: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'keel-prometheus-'));
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: keel',
      `    static_configs: [{ targets: ['${target}'] }]`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  const server = prometheusServer(`http://127.0.0.1:${port}`, child, dir);
  try {
    await waitUntilReady(server.url, child, () => output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}:\n${output()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await sleep(100);
  }
  throw new Error(`Prometheus was not ready at ${url} within 30 s:\n${output()}`);
}

function prometheusServer(url: string, child: ChildProcess, dir: string): PrometheusServer {
  const query = async (promql: string): Promise<Sample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success')
      throw new Error(`Query ${promql} failed: ${body.error ?? response.status}`);
    return (body.data?.result ?? []).map(({ metric, value }) => ({
      labels: metric,
      value: Number(value[1]),
    }));
  };
  return {
    url,
    query,
    async waitFor(promql, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Sample[] = [];
      while (Date.now() < deadline) {
        last = await query(promql);
        if (done(last)) return last;
        await sleep(200);
      }
      throw new Error(
        `Query ${promql} did not reach the expected samples in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
        if (!killed) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
