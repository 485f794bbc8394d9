import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTrace, recordLocally } from '@keel/opentelemetry/local';
import type { LocalTelemetry, RecordedTrace } from '@keel/opentelemetry/local';
import { findStep } from './tour/tour.js';
import type { TourReport } from './tour/tour.js';

/** Where `pnpm start` writes the metrics page (git-ignored). */
export const METRICS_FILE = fileURLToPath(new URL('../output/metrics.prom', import.meta.url));

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** Where the narration goes. @default console.log */
  say?: (line: string) => void;
  /** Where the Prometheus text goes. @default METRICS_FILE */
  metricsFile?: string;
}

/** A tour request whose trace is printed. */
export interface ShownTrace {
  /** The tour step's id (`web-home`, `stalled`, …). */
  readonly step: string;
  /** What the request shows, as printed above its tree. */
  readonly title: string;
  readonly trace: RecordedTrace;
}

/** The tour's report, the traces printed, and the metrics written. */
export interface ObservedTour {
  readonly report: TourReport;
  readonly shown: readonly ShownTrace[];
  readonly metricsFile: string;
  /** The Prometheus text written to `metricsFile`. */
  readonly metrics: string;
}

/** The requests whose traces are printed, by tour step. */
const SHOWN_STEPS = [
  ['web-home', 'GET /web/home: the trace the browser started, through the gateway to three services'],
  ['stalled', 'GET /mobile/me while users-1 stalls: the attempt times out and the retry goes elsewhere'],
  ['degraded-1', 'GET /web/home with the catalog down: retries fail, the breaker opens, the page degrades'],
] as const;

/**
 * Runs the tour with the OpenTelemetry SDK recording, then prints the span trees of a few
 * requests (found by the `traceresponse` header each answer carries) and writes the metrics a
 * Prometheus scrape would read.
 */
export async function observe(
  run: () => Promise<TourReport>,
  options: ObserveOptions = {},
): Promise<ObservedTour> {
  const say = options.say ?? ((line: string) => console.log(line));
  const metricsFile = options.metricsFile ?? METRICS_FILE;
  const telemetry = recordLocally('api-gateway');
  try {
    const report = await run();
    const shown = SHOWN_STEPS.flatMap(([step, title]) => {
      const trace = traceOfStep(telemetry, report, step);
      return trace === undefined ? [] : [{ step, title, trace }];
    });
    say(
      `\nTraces: the OpenTelemetry SDK recorded ${telemetry.spans().length} spans; ${shown.length} requests:`,
    );
    for (const { title, trace } of shown) {
      say(`\n• ${title}`);
      say(formatTrace(trace, { events: true }).replace(/^/gm, '  '));
    }
    const metrics = await telemetry.writeMetrics(metricsFile);
    const count = new Set(metrics.match(/^# TYPE \S+/gm)).size;
    say(
      `\nMetrics: ${count} metrics in the Prometheus text format (what a scrape reads) in ${relative(process.cwd(), metricsFile)}.`,
    );
    return { report, shown, metricsFile, metrics };
  } finally {
    await telemetry.close();
  }
}

/** The trace of a tour step: its answer's `traceresponse` header names it. */
function traceOfStep(telemetry: LocalTelemetry, report: TourReport, id: string): RecordedTrace | undefined {
  const traceId = findStep(report, id)?.headers['traceresponse']?.split('-')[1];
  return telemetry.traces(/./).find((trace) => trace.traceId === traceId);
}
