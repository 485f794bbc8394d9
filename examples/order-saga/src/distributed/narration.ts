import type { DeliveryReport, ServiceReport } from './runConfig.js';
import type { PlannedOrder, RunVerdict } from './verify.js';

const pad = (text: string, width: number): string => text.padEnd(width);

/** One line per message crossing between processes: from → to, type, order id. */
export function describeDelivery(report: DeliveryReport): string {
  const line = `  ${report.from.padStart(10)} → ${pad(report.to, 9)}  ${pad(report.type, 17)}  ${report.orderId}`;
  if (report.status === 'duplicate') {
    return `${line}   redelivery #${report.deliveryCount}: applied before, the inbox skipped it`;
  }
  return report.deliveryCount > 1 ? `${line}   (redelivery #${report.deliveryCount})` : line;
}

/** Prints what the services report as it arrives: messages received, and a service holding one. */
export function narrate(say: (line: string) => void): (report: ServiceReport) => void {
  return (report) => {
    if (report.kind === 'delivery') say(describeDelivery(report));
    if (report.kind === 'holding') {
      say(
        `  ⏸ ${report.service} committed ${report.type} ${report.orderId} and stops before acknowledging it`,
      );
    }
  };
}

/** Prints the checks: each order's outcome across the services, the figures, every violation. */
export function reportVerdict(
  say: (line: string) => void,
  plan: readonly PlannedOrder[],
  verdict: RunVerdict,
  deliveries: readonly DeliveryReport[],
): void {
  say('\n=== Check: nothing lost, nothing applied twice ===');
  for (const outcome of verdict.outcomes) {
    const why = plan.find((order) => order.orderId === outcome.orderId)?.why ?? 'not in the plan';
    const stock = outcome.reservation === null ? 'no stock taken' : `stock ${outcome.reservation}`;
    const reason = outcome.reason === null ? '' : `: ${outcome.reason}`;
    say(
      `  ${outcome.orderId}  ${pad(outcome.status, 9)} ${pad(why, 13)} ${stock}, payment ${outcome.payment ?? 'none'}${reason}`,
    );
  }
  const { orders, inventory, payments } = verdict.applied;
  const duplicates = deliveries.filter((delivery) => delivery.status === 'duplicate').length;
  say(
    `  inboxes: orders applied ${orders} messages, inventory ${inventory}, payments ${payments}; none twice`,
  );
  say(
    `  redeliveries the inboxes skipped: ${duplicates}; messages the outboxes published: ${verdict.published}`,
  );
  say(`  dead letters: ${verdict.deadLetters}`);
  for (const violation of verdict.violations) say(`  ✗ ${violation}`);
  say(`  violations: ${verdict.violations.length}`);
}
