import { observe } from './observed.js';
import type { ObservedTour, ObserveOptions } from './observed.js';
import { runTour } from './tour/tour.js';
import type { TourReport } from './tour/tour.js';
import { formatTable } from './tour/table.js';

function print(report: TourReport): void {
  for (const [index, section] of report.sections.entries()) {
    console.log(`\n${index + 1}. ${section.title}`);
    console.log(`   ${section.story}`);
    const rows = section.steps.map((step) => [step.request, step.client, step.status, step.outcome]);
    console.log(formatTable(['request', 'client', 'status', 'what happened'], rows).replace(/^/gm, '   '));
    for (const event of section.events) console.log(`   • ${event}`);
  }
}

/**
 * Runs the tour against real servers on 127.0.0.1 with the OpenTelemetry SDK recording, prints
 * it and the traces of a few requests, writes the metrics, and returns what it observed.
 */
export async function main(options: ObserveOptions = {}): Promise<ObservedTour> {
  console.log(
    'Keel API gateway: backends on loopback ports, a gateway with two BFFs, a client driving both.',
  );
  const observed = await observe(async () => {
    const report = await runTour();
    print(report);
    console.log(
      `\nAll servers closed: ${report.closed ? 'yes' : 'NO'}. Tour took ${(report.durationMs / 1_000).toFixed(1)} s.`,
    );
    return report;
  }, options);
  return observed;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
