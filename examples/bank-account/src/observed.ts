import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { runScenario } from './scenario.js';
import type { ScenarioOptions, ScenarioResult } from './scenario.js';
import { formatTrace, recordLocally } from '@keel/opentelemetry/local';
import type { LocalTelemetry, RecordedTrace } from '@keel/opentelemetry/local';

/** Where `pnpm start` writes the metrics page (next to the embedded database, git-ignored). */
export const METRICS_FILE = fileURLToPath(new URL('../out/metrics.prom', import.meta.url));

/** Options of {@link observeScenario}. */
export interface ObservedOptions extends ScenarioOptions {
  /** Where the Prometheus text goes. @default METRICS_FILE */
  metricsFile?: string;
}

/** A flow of the story whose trace is printed. */
export interface ShownTrace {
  /** What the flow is, as printed above its tree. */
  readonly title: string;
  readonly trace: RecordedTrace;
}

/** The scenario's result, the traces printed, and the metrics written. */
export interface ObservedResult {
  readonly result: ScenarioResult;
  /** Every trace recorded during the run. */
  readonly traceCount: number;
  readonly spanCount: number;
  readonly shown: readonly ShownTrace[];
  readonly metricsFile: string;
  /** The Prometheus text written to `metricsFile`. */
  readonly metrics: string;
}

/**
 * Runs the bank story with the OpenTelemetry SDK recording, then prints the span trees of a
 * few flows (a command with the policy it triggers, a refused command, the rebuild) and writes
 * the metrics a Prometheus scrape would read.
 */
export async function observeScenario(options: ObservedOptions = {}): Promise<ObservedResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const metricsFile = options.metricsFile ?? METRICS_FILE;
  const telemetry = recordLocally('bank-account');
  try {
    const result = await runScenario({ ...options, print });
    const shown = pickTraces(telemetry);
    const spanCount = telemetry.spans().length;
    const traceCount = telemetry.traces(/./).length;
    print(
      `\nTraces: the OpenTelemetry SDK recorded ${spanCount} spans in ${traceCount} traces; here are ${shown.length} of them:`,
    );
    for (const { title, trace } of shown) {
      print(`\n• ${title}`);
      const events = trace.root.status.code === 2; // the failure's exception event is worth a line
      print(formatTrace(trace, { events }).replace(/^/gm, '  '));
    }
    const metrics = await telemetry.writeMetrics(metricsFile);
    const names = new Set(metrics.match(/^# TYPE \S+/gm)).size;
    print(
      `\nMetrics: ${names} metrics in the Prometheus text format (what a scrape reads) in ${relative(process.cwd(), metricsFile)}.`,
    );
    return { result, traceCount, spanCount, shown, metricsFile, metrics };
  } finally {
    await telemetry.close();
  }
}

function pickTraces(telemetry: LocalTelemetry): ShownTrace[] {
  const candidates: [string, RecordedTrace | undefined][] = [
    [
      'Ada opens her account: the command, its event, and the welcome bonus the policy sends, all one trace',
      telemetry.traces('send OpenAccount')[0],
    ],
    [
      "An overdraft refused by the Account's rule: the error marks the spans it went through",
      telemetry.traces('send WithdrawMoney').find((trace) => trace.root.status.code === 2),
    ],
    [
      'The read model rebuilt from the store: a span per batch, linked to the traces that wrote its events',
      telemetry.traces(/^rebuild /)[0],
    ],
  ];
  return candidates.flatMap(([title, trace]) => (trace === undefined ? [] : [{ title, trace }]));
}
