// Append throughput and stream rebuild of the PostgreSQL contenders, interleaved in every round.
import { performance } from 'node:perf_hooks';
import { record } from '../harness.js';
import { openContenders } from './contenders.js';
import type { PgContender } from './contenders.js';
import type { CommitMode } from './settings.js';
import { APPEND_MS, COMMIT_MODES, deposits, median, REBUILD_EVENTS, ROUNDS, SLICES } from './settings.js';

/** One append setting: concurrent writers, each on its own stream, and events per append. */
export interface AppendSetting {
  readonly writers: number;
  readonly batch: number;
}

export const APPEND_SETTINGS: readonly AppendSetting[] = [
  { writers: 1, batch: 1 },
  { writers: 1, batch: 10 },
  { writers: 8, batch: 1 },
  { writers: 8, batch: 10 },
];

/** Events per second of each contender, per mode and setting, one reading per round. */
export type AppendReadings = Map<string, number[]>;

const keyOf = (mode: CommitMode, setting: AppendSetting, contender: string): string =>
  `${mode}|${setting.writers}|${setting.batch}|${contender}`;

let runs = 0;

/** Events appended and the seconds it took. */
interface Stretch {
  readonly events: number;
  readonly seconds: number;
}

/** `writers` loops appending `batch` events to their own new streams for `ms`. */
async function appendFor(contender: PgContender, setting: AppendSetting, ms: number): Promise<Stretch> {
  const run = ++runs;
  const batch = deposits(setting.batch);
  let appended = 0;
  const started = performance.now();
  const until = started + ms;
  await Promise.all(
    Array.from({ length: setting.writers }, async (_, writer) => {
      const stream = `account-${run}-${writer}`;
      let version = 0;
      while (performance.now() < until) {
        await contender.append(stream, batch, version);
        version += batch.length;
        appended += batch.length;
      }
    }),
  );
  return { events: appended, seconds: (performance.now() - started) / 1000 };
}

/** Rotates the contenders so none always runs first (or last) in a round. */
function rotated<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

/**
 * For each commit mode: opens the three contenders, warms them up, then runs `ROUNDS` rounds. In
 * a round, each setting starts every contender on an emptied table and gives each `APPEND_MS`
 * in `SLICES` turns, the contenders taking turns slice by slice in an order rotated per slice;
 * a contender's reading of the round is its events over its time in all its slices.
 */
export async function measureAppends(): Promise<AppendReadings> {
  const readings: AppendReadings = new Map();
  for (const mode of COMMIT_MODES) {
    const contenders = openContenders(mode);
    try {
      for (const contender of contenders) await appendFor(contender, { writers: 8, batch: 10 }, 300);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [index, setting] of APPEND_SETTINGS.entries()) {
          for (const contender of contenders) await contender.truncate();
          const totals = new Map(contenders.map((contender) => [contender.name, { events: 0, seconds: 0 }]));
          for (let slice = 0; slice < SLICES; slice++) {
            for (const contender of rotated(contenders, round + index + slice)) {
              const stretch = await appendFor(contender, setting, APPEND_MS / SLICES);
              const total = totals.get(contender.name)!;
              total.events += stretch.events;
              total.seconds += stretch.seconds;
            }
          }
          for (const [name, total] of totals) {
            const key = keyOf(mode, setting, name);
            readings.set(key, [...(readings.get(key) ?? []), total.events / total.seconds]);
          }
        }
        console.log(`  ${mode}: round ${round + 1}/${ROUNDS} done`);
      }
    } finally {
      for (const contender of contenders) await contender.close();
    }
  }
  return readings;
}

const format = (value: number): string => Math.round(value).toLocaleString('en-US');
const times = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');

/** The median over the rounds of `a`'s reading divided by `b`'s reading of the same round. */
function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, round) => value / b[round]!));
}

/** Records the append tables: medians per contender and the ratios the issue sets targets for. */
export function recordAppends(readings: AppendReadings): void {
  const rows: string[][] = [];
  for (const mode of COMMIT_MODES) {
    for (const setting of APPEND_SETTINGS) {
      const of = (name: string, writers = setting.writers): readonly number[] =>
        readings.get(keyOf(mode, { writers, batch: setting.batch }, name)) ?? [];
      const keel = of('keel');
      rows.push([
        mode,
        `${setting.writers} x ${setting.batch}`,
        format(median(keel)),
        format(median(of('emmett'))),
        format(median(of('raw pg floor'))),
        times(pairedRatio(keel, of('emmett'))),
        times(pairedRatio(keel, of('raw pg floor'))),
        setting.writers === 1 ? '' : times(pairedRatio(keel, of('keel', 1))),
      ]);
    }
  }
  record(
    `PostgreSQL appends, events per second (medians of ${ROUNDS} rounds of ${APPEND_MS} ms per contender, ` +
      `interleaved in ${SLICES} slices; ratios: medians of the rounds' ratios)`,
    [
      'commit',
      'writers x batch',
      'keel',
      'emmett',
      'raw pg floor',
      'keel/emmett',
      'keel/floor',
      'keel 8w/1w',
    ],
    rows,
  );
}

/** Times the read-back of a 10,000-event stream by each contender, interleaved per round. */
export async function measureRebuild(): Promise<void> {
  const contenders = openContenders('default commit');
  const times = new Map<string, number[]>();
  const expected = (REBUILD_EVENTS * (REBUILD_EVENTS + 1)) / 2;
  try {
    for (const contender of contenders) {
      await contender.truncate();
      for (let version = 0; version < REBUILD_EVENTS; version += 100) {
        await contender.append('rebuild-1', deposits(100, version + 1), version);
      }
      await contender.rebuild('rebuild-1'); // warm-up
    }
    for (let round = 0; round < Math.max(ROUNDS, 3) * 2; round++) {
      for (const contender of rotated(contenders, round)) {
        const started = performance.now();
        const total = await contender.rebuild('rebuild-1');
        const ms = performance.now() - started;
        if (total !== expected) throw new Error(`${contender.name} rebuilt ${total}, expected ${expected}.`);
        times.set(contender.name, [...(times.get(contender.name) ?? []), ms]);
      }
    }
  } finally {
    for (const contender of contenders) await contender.close();
  }
  const keel = median(times.get('keel')!);
  record(
    `PostgreSQL rebuild: read and fold a ${REBUILD_EVENTS.toLocaleString('en-US')}-event stream (median ms of ${times.get('keel')!.length} interleaved reads)`,
    ['contender', 'median ms', 'keel time / this time (below 1: keel is faster)'],
    contenders.map((contender) => {
      const ms = median(times.get(contender.name)!);
      return [contender.name, ms.toFixed(1), `${(keel / ms).toFixed(2)}x`];
    }),
  );
}
