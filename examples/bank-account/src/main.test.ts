import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCommand, ManualClock } from '@keel/core';
import type { Message } from '@keel/core';
import { collect } from '@keel/eventsourcing';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBank } from './bank.js';
import { createInfrastructure } from './infrastructure.js';
import type { InfrastructureOptions } from './infrastructure.js';
import { observeScenario } from './observed.js';
import type { ObservedResult } from './observed.js';
import { runScenario } from './scenario.js';

const clock = () => new ManualClock(Date.UTC(2026, 0, 1));

async function runOn(options: InfrastructureOptions) {
  const lines: string[] = [];
  const infrastructure = await createInfrastructure(options);
  const result = await runScenario({ print: (line) => lines.push(line), clock: clock(), infrastructure });
  return { lines, result };
}

describe('bank-account scenario', () => {
  it.each([
    ['the in-memory stores', { engine: 'memory' } as const, 'in-memory'],
    [
      'embedded PGlite through @keel/postgres',
      { engine: 'postgres', url: '', dataDir: false } as const,
      'pglite',
    ],
  ])('runs the whole story through the buses on %s', async (_name, options, backend) => {
    const { lines, result } = await runOn(options);

    expect(result.backend).toBe(backend);
    expect(result.rejections.map((rejection) => rejection.reason)).toEqual([
      'VALIDATION_FAILED',
      'account.insufficient-funds',
      'CONCURRENCY_CONFLICT',
      'account.balance-must-be-zero',
      'account.must-be-open',
    ]);
    expect(result.validationIssues).toHaveLength(2);
    expect(result.duplicate).toEqual({ firstVersion: 254, secondVersion: 254, streamVersion: 254 });
    expect(result.conflictRetries).toBe(1);
    expect(result.adaStreamVersion).toBe(253);
    expect(result.adaSnapshotVersion).toBe(200);
    expect(result.carolBeforeRebuild).toBe('NOT_FOUND');
    expect(result.balances.map((row) => [row.owner, row.balanceCents, row.transactions, row.closed])).toEqual(
      [
        ['Ada', -20_00, 254, false],
        ['Bob', 0, 5, true],
        ['Carol', 12_50, 1, false],
      ],
    );
    expect(result.rebuildProgress.at(-1)?.processed).toBe(264);
    expect(result.totalAfterRebuildCents).toBe(-7_50);
    expect(lines.some((line) => line.includes('Carol holds €12.50'))).toBe(true);
  });
});

describe('bank wiring', () => {
  it("keeps the command's correlation id on its events and on the welcome bonus they trigger", async () => {
    const published: Message[] = [];
    const bank = await createBank({ clock: clock(), onEvent: (event) => void published.push(event) });
    const open = createCommand('OpenAccount', { accountId: 'ada', owner: 'Ada' });
    await bank.commands.execute(open);
    const [opened, bonus] = published;
    expect(opened?.metadata).toMatchObject({
      correlationId: open.metadata.correlationId,
      causationId: open.metadata.messageId,
    });
    expect(bonus?.type).toBe('MoneyDeposited');
    expect(bonus?.metadata.correlationId).toBe(open.metadata.correlationId);
    expect(bonus?.metadata.causationId).not.toBe(open.metadata.messageId);
    await bank.close();
  });

  it('stores the events of a command with its correlation and causation', async () => {
    const bank = await createBank({ clock: clock() });
    const open = createCommand('OpenAccount', { accountId: 'ada', owner: 'Ada' });
    await bank.commands.execute(open);
    const [opened] = await collect(bank.store.readStream('Account-ada'));
    expect(opened?.metadata).toMatchObject({
      correlationId: open.metadata.correlationId,
      causationId: open.metadata.messageId,
    });
    await bank.close();
  });

  it('applies a command id once, even when the copies arrive at the same time', async () => {
    const bank = await createBank({ clock: clock() });
    await bank.commands.send('OpenAccount', { accountId: 'ada', owner: 'Ada' });
    const deposit = createCommand('DepositMoney', { accountId: 'ada', amountCents: 5_00 });
    const versions = await Promise.all([bank.commands.execute(deposit), bank.commands.execute(deposit)]);
    await bank.commands.execute(deposit);
    expect(versions).toEqual([3, 3]);
    expect(await bank.store.streamVersion('Account-ada')).toBe(3);
    expect(bank.balances.get('ada')?.balanceCents).toBe(10_00);
    await bank.close();
  });

  it('answers queries from the read model with typed results', async () => {
    const bank = await createBank({ clock: clock() });
    await bank.commands.send('OpenAccount', { accountId: 'bob', owner: 'Bob' });
    await bank.commands.send('DepositMoney', { accountId: 'bob', amountCents: 7_00 });
    const bob = await bank.queries.send('GetBalance', { accountId: 'bob' });
    const total = await bank.queries.send('TotalHeld', {});
    expect([bob.balanceCents, bob.transactions, total]).toEqual([
      12_00,
      2,
      { totalCents: 12_00, accounts: 1 },
    ]);
    await bank.close();
  });

  it('rejects an invalid query with every issue before it reaches the read model', async () => {
    const bank = await createBank({ clock: clock() });
    await expect(bank.queries.send('GetBalance', { accountId: '' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [expect.objectContaining({ path: ['accountId'] })],
    });
    await bank.close();
  });
});

describe('bank-account traces and metrics', () => {
  let folder: string;
  let observed: ObservedResult;
  const printed: string[] = [];

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'keel-bank-account-'));
    observed = await observeScenario({
      print: (line) => printed.push(line),
      clock: clock(),
      infrastructure: await createInfrastructure({ engine: 'memory' }),
      metricsFile: join(folder, 'metrics.prom'),
    });
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  /** The span named `name` in `spans` (the first when several). */
  function span(spans: readonly ReadableSpan[], name: string): ReadableSpan {
    const found = spans.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`no span "${name}" in ${spans.map((s) => s.name).join(', ')}`);
    return found;
  }

  /** Whether `ancestor` is `child`'s parent, grandparent, … within `spans`. */
  function descendsFrom(
    spans: readonly ReadableSpan[],
    child: ReadableSpan,
    ancestor: ReadableSpan,
  ): boolean {
    const byId = new Map(spans.map((each) => [each.spanContext().spanId, each]));
    for (let at = byId.get(child.parentSpanContext?.spanId ?? ''); at;) {
      if (at === ancestor) return true;
      at = byId.get(at.parentSpanContext?.spanId ?? '');
    }
    return false;
  }

  it('records opening an account and the welcome bonus it triggers as one trace', () => {
    const [opened] = observed.shown;
    expect(opened?.trace.root.name).toBe('send OpenAccount');
    const spans = opened!.trace.spans;
    expect(new Set(spans.map((each) => each.spanContext().traceId)).size).toBe(1);
    const handled = span(spans, 'handle OpenAccount');
    expect(handled.parentSpanContext?.spanId).toBe(opened!.trace.root.spanContext().spanId);
    const published = span(spans, 'publish AccountOpened');
    const policy = span(spans, 'handle AccountOpened (welcome bonus)');
    const bonus = span(spans, 'send DepositMoney');
    expect(descendsFrom(spans, published, handled)).toBe(true);
    expect(descendsFrom(spans, policy, published)).toBe(true);
    expect(bonus.parentSpanContext?.spanId).toBe(policy.spanContext().spanId);
  });

  it('marks the refused overdraft failed with the rule that refused it', () => {
    const refused = observed.shown[1]!.trace.root;
    expect(refused.name).toBe('send WithdrawMoney');
    expect(refused.status.code).toBe(2);
    expect(refused.attributes['error.type']).toBe('DOMAIN_RULE_VIOLATION');
  });

  it('prints the trees of the flows it shows', () => {
    expect(printed.some((line) => line.includes('Traces: the OpenTelemetry SDK recorded'))).toBe(true);
    expect(printed.some((line) => line.includes('└─ send OpenAccount'))).toBe(true);
  });

  it('writes the bus metrics in the Prometheus text format', async () => {
    const text = await readFile(observed.metricsFile, 'utf8');
    expect(text).toBe(observed.metrics);
    expect(text).toMatch(/^keel_bus_messages_total\{.*keel_message_type="OpenAccount".*\} 2$/m);
    for (const name of [
      'keel_bus_duration',
      'messaging_process_duration',
      'keel_idempotency_duplicates_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
