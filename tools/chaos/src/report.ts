import type { ChaosResult } from './runChaos.js';

const seconds = (ms: number): string => `${(ms / 1_000).toFixed(1)} s`;

/** The figures of a run as printable lines, violations listed last. */
export function formatReport(result: ChaosResult): string[] {
  const { sagas, messages, log } = result;
  const lines = [
    `chaos ${result.runId} — seed ${result.seed}`,
    `  duration          ${seconds(result.chaosMs)} of kills, ${seconds(result.settleMs)} to quiesce, ${seconds(result.totalMs)} in all`,
    `  processes         ${result.kills} killed (SIGKILL), ${result.restarts} restarted, ${result.gracefulStops} stopped gracefully at the end`,
    `  appends           ${result.appends} commands acknowledged, ${log.events} events in the log (head ${log.head})`,
    `  sagas             ${sagas.requested} requested: ${sagas.completed} completed, ${sagas.compensated} compensated`,
    `  saga steps        ${sagas.stepCalls} step runs, ${sagas.stepReruns} re-runs after a crash, ${sagas.effects} effects applied, ${sagas.unknownOutcomeCompensations} compensations of an unknown outcome`,
    `  messages          ${messages.messages} outbox messages, ${messages.deliveries} deliveries (${messages.redeliveries} redelivered or duplicate)`,
    `  projections       ${log.checkpointWrites} checkpoint writes audited, ${log.leaseAcquisitions} lease acquisitions (projections, outbox relay)`,
    `  uncertain ops     ${result.uncertain} (the driver saw an error; checked for at-most-once)`,
    `  violations        ${result.violations.length}`,
  ];
  for (const violation of result.violations) lines.push(`    - ${violation}`);
  for (const problem of result.cleanupProblems) lines.push(`  cleanup problem: ${problem}`);
  return lines;
}
