import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { formatTrace, recordLocally } from '@keel/opentelemetry/local';
import type { LocalTelemetry, RecordedTrace } from '@keel/opentelemetry/local';

/** Where `pnpm start` writes the metrics page (next to the embedded database, git-ignored). */
export const METRICS_FILE = fileURLToPath(new URL('../out/metrics.prom', import.meta.url));

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** Where the narration goes. @default console.log */
  say?: (line: string) => void;
  /** Where the Prometheus text goes. @default METRICS_FILE */
  metricsFile?: string;
}

/** A flow whose trace is printed. */
export interface ShownTrace {
  /** What the flow is, as printed above its tree. */
  readonly title: string;
  readonly trace: RecordedTrace;
}

/** What `run` returned, the traces printed, and the metrics written. */
export interface Observed<TResult> {
  readonly value: TResult;
  readonly shown: readonly ShownTrace[];
  readonly metricsFile: string;
  /** The Prometheus text written to `metricsFile`. */
  readonly metrics: string;
}

/** The orchestrated sagas whose traces are printed, by saga id. */
const SHOWN_SAGAS = [
  ['order-o-1', 'Saga 1 completed: the payment outage shows as a retry event on its step'],
  [
    'order-o-2',
    'Saga 2 compensated: the declined payment, then the undo of each completed step, newest first',
  ],
  ['order-o-3', 'Saga 3 crashed and recovered: worker-b resumes the run in the trace worker-a started it in'],
] as const;

/**
 * Runs `run` (the example's scenarios) with the OpenTelemetry SDK recording, then prints the
 * span trees of the orchestrated sagas and writes the metrics a Prometheus scrape would read.
 */
export async function observe<TResult>(
  run: () => Promise<TResult>,
  options: ObserveOptions = {},
): Promise<Observed<TResult>> {
  const say = options.say ?? ((line: string) => console.log(line));
  const metricsFile = options.metricsFile ?? METRICS_FILE;
  const telemetry = recordLocally('order-saga');
  try {
    const value = await run();
    const shown = SHOWN_SAGAS.flatMap(([sagaId, title]) => {
      const trace = traceOfSaga(telemetry, sagaId);
      return trace === undefined ? [] : [{ title, trace }];
    });
    const spans = telemetry.spans().length;
    say(`\nTraces: the OpenTelemetry SDK recorded ${spans} spans; the trees of the orchestrated sagas:`);
    for (const { title, trace } of shown) {
      say(`\n• ${title}`);
      say(formatTrace(trace, { events: true }).replace(/^/gm, '  '));
    }
    const metrics = await telemetry.writeMetrics(metricsFile);
    const count = new Set(metrics.match(/^# TYPE \S+/gm)).size;
    say(
      `\nMetrics: ${count} metrics in the Prometheus text format (what a scrape reads) in ${relative(process.cwd(), metricsFile)}.`,
    );
    return { value, shown, metricsFile, metrics };
  } finally {
    await telemetry.close();
  }
}

/** The trace that holds the first `saga …` span of `sagaId`. */
function traceOfSaga(telemetry: LocalTelemetry, sagaId: string): RecordedTrace | undefined {
  const isRun = (span: ReadableSpan) =>
    span.name.startsWith('saga ') && span.attributes['keel.saga.id'] === sagaId;
  const first = telemetry.spans().find(isRun);
  if (first === undefined) return undefined;
  const traceId = first.spanContext().traceId;
  return telemetry.traces(/./).find((trace) => trace.traceId === traceId);
}
