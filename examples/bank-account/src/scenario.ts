import { isKeelError } from '@keel/core';
import type { Clock } from '@keel/core';
import type { DataOf } from '@keel/cqrs';
import { isDomainRuleViolation } from '@keel/ddd';
import type { ProjectionProgress } from '@keel/eventsourcing';
import { createBank } from './bank.js';
import type { Bank } from './bank.js';
import type { BalanceRow } from './balances.js';
import type { AccountCommands, AccountCommandType } from './commands.js';
import { createInfrastructure } from './infrastructure.js';
import type { Backend, Infrastructure } from './infrastructure.js';
import { Narrator } from './narrator.js';
import type { Print } from './narrator.js';
import * as steps from './steps.js';
import type { DuplicateOutcome, Rejection, Send, Story } from './steps.js';

export type { Rejection } from './steps.js';

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  /** Where the narration goes. @default console.log */
  print?: Print;
  clock?: Clock;
  /** The stores to run on; closed at the end. @default `createInfrastructure()` (src/infrastructure.ts) */
  infrastructure?: Infrastructure;
}

/** What the scenario ends with, for the smoke test. */
export interface ScenarioResult {
  readonly backend: Backend;
  readonly rejections: readonly Rejection[];
  readonly validationIssues: readonly string[];
  readonly duplicate: DuplicateOutcome;
  readonly adaStreamVersion: number;
  readonly adaSnapshotVersion: number | undefined;
  readonly carolBeforeRebuild: string;
  readonly balances: readonly BalanceRow[];
  readonly rebuildProgress: readonly ProjectionProgress[];
  readonly totalAfterRebuildCents: number;
  readonly conflictRetries: number;
}

/**
 * Runs the bank story end to end through the buses: commands, events with correlation and
 * causation, the read model, queries, validation, idempotency, rules, conflicts, snapshots,
 * upcasting and a rebuild.
 */
export async function runScenario(options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const narrator = new Narrator(print);
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const infrastructure =
    options.infrastructure ?? (await createInfrastructure({ ...clock, logger: narrator.logger }));
  const bank = await createBank({
    ...clock,
    infrastructure,
    logger: narrator.logger,
    onEvent: (event) => narrator.event(event),
    onReadModelUpdate: (row, type) => narrator.update(row, type),
  });
  print(`Stores: ${bank.infrastructure.description}.`);
  const rejections: Rejection[] = [];
  const story: Story = { bank, narrator, print, rejections, send: sender(bank, narrator, rejections) };
  try {
    await steps.openAndQuery(story);
    const snapshots = await steps.manyDeposits(story);
    const validationIssues = await steps.invalidCommand(story);
    const duplicate = await steps.duplicateCommand(story);
    await steps.overdraft(story);
    await steps.tellersRace(story);
    await steps.closeBob(story);
    const carolBeforeRebuild = await steps.legacyAccount(story);
    const readModel = await steps.rebuild(story);
    return {
      backend: bank.infrastructure.backend,
      rejections,
      validationIssues,
      duplicate,
      ...snapshots,
      carolBeforeRebuild,
      ...readModel,
      conflictRetries: bank.conflictRetries.length,
    };
  } finally {
    await bank.close();
  }
}

/** Sends a command through the bus; a refusal is printed and recorded instead of thrown. */
function sender(bank: Bank, narrator: Narrator, rejections: Rejection[]): Send {
  return async (type, data) => {
    try {
      narrator.command(type, data);
      // The generic is widened to the union here; the `Send` signature keeps callers exact.
      const version: number = await bank.commands.send(
        type as AccountCommandType,
        data as DataOf<AccountCommands, AccountCommandType>,
      );
      return version;
    } catch (error) {
      if (!isKeelError(error)) throw error;
      const reason = isDomainRuleViolation(error) ? error.rule : error.code;
      rejections.push({ command: type, reason, message: error.message });
      narrator.print(`   ✗ refused [${reason}]: ${error.message}`);
      return undefined;
    }
  };
}
