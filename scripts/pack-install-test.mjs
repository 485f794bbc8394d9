// Proves the "npm install into a service" path: packs every built package, installs the
// tarballs into a fresh project outside the workspace with npm, and uses them there through
// both `import` (ESM) and `require` (CJS). Run `pnpm build` first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll, run } from './lib.mjs';

/** A real call per package: `keel` is the loaded module; throws if something is wrong. */
const smoke = {
  '@keel/core': `
    const id = keel.newId();
    if (!keel.isUuid(id)) throw new Error('newId() did not return a UUID: ' + id);
    const clock = new keel.ManualClock();
    let fired = false;
    clock.setTimeout(() => { fired = true; }, 10);
    clock.advance(10);
    if (!fired) throw new Error('ManualClock did not run its timer');
    const error = new keel.ConcurrencyError({ subject: 's', expected: 1, actual: 2 });
    if (!keel.isConcurrencyError(error)) throw new Error('isConcurrencyError failed');`,
  '@keel/resilience': `
    let calls = 0;
    const policy = keel.retry({ maxRetries: 2, backoff: keel.constantBackoff(0) });
    const value = await policy.execute(async () => { if (++calls < 2) throw new Error('flaky'); return 'ok'; });
    if (value !== 'ok' || calls !== 2) throw new Error('retry did not retry once: ' + calls);`,
  '@keel/eventsourcing': `
    const store = new keel.InMemoryEventStore();
    const handle = keel.createCommandHandler(store, {
      initialState: () => 0,
      decide: (command) => [{ type: 'Deposited', data: { amount: command.amount } }],
      evolve: (balance, event) => balance + event.data.amount,
    });
    await handle('account-1', { type: 'Deposit', amount: 20 });
    const { state } = await handle('account-1', { type: 'Deposit', amount: 22 });
    if (state !== 42) throw new Error('event-sourced state is ' + state);`,
  '@keel/saga': `
    const steps = [];
    const saga = keel.defineSaga('pack-test').step('one', { run: async () => { steps.push('one'); return 1; } });
    const sagas = new keel.SagaOrchestrator(new keel.InMemorySagaStore(), [saga]);
    const outcome = await sagas.start('pack-test', {}, { sagaId: 's-1' });
    if (outcome.status !== 'completed' || steps.length !== 1) throw new Error('saga outcome ' + outcome.status);`,
  '@keel/postgres': `
    const db = await keel.createPostgres({}); // embedded PGlite, in memory
    try {
      await keel.migrate(db);
      const store = new keel.PostgresEventStore(db);
      await store.appendToStream('account-1', [{ type: 'Opened', data: { owner: 'ann' } }]);
      const events = [];
      for await (const event of store.readStream('account-1')) events.push(event);
      if (events.length !== 1 || events[0].data.owner !== 'ann') throw new Error('PGlite event store read back ' + JSON.stringify(events));
    } finally {
      await db.close();
    }`,
  '@keel/cqrs': `
    const commands = keel.createCommandBus();
    commands.register('Double', async ({ data }) => data.n * 2);
    const doubled = await commands.send('Double', { n: 21 });
    if (doubled !== 42) throw new Error('command bus returned ' + doubled);`,
  '@keel/scaling': `
    const cache = new keel.LruCache({ max: 2 });
    cache.set('a', 1); cache.set('b', 2); cache.set('c', 3);
    if (cache.has('a') || cache.get('c') !== 3) throw new Error('LruCache did not evict the oldest entry');`,
};

const work = mkdtempSync(join(tmpdir(), 'keel-pack-'));
try {
  const tarballs = packAll(work, process.argv.slice(2));
  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  const deps = Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`]));
  // Peer dependencies a service would add itself: the embedded database for @keel/postgres.
  const peers = tarballs.has('@keel/postgres') ? { '@electric-sql/pglite': '^0.5.16' } : {};
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'keel-consumer',
        private: true,
        version: '1.0.0',
        dependencies: { ...deps, ...peers },
        overrides: deps,
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });

  const names = [...tarballs.keys()];
  const body = (name) =>
    smoke[name] ?? `if (Object.keys(keel).length === 0) throw new Error('${name} exports nothing');`;
  const esm = names.map(
    (name) => `{ const keel = await import('${name}');${body(name)}\n  console.log('import  ${name}: ok'); }`,
  );
  const cjs = names.map(
    (name) => `{ const keel = require('${name}');${body(name)}\n  console.log('require ${name}: ok'); }`,
  );
  writeFileSync(join(app, 'esm.mjs'), esm.join('\n'));
  writeFileSync(
    join(app, 'cjs.cjs'),
    `(async () => {\n${cjs.join('\n')}\n})().catch((e) => { console.error(e); process.exit(1); });`,
  );

  let failed = 0;
  for (const file of ['esm.mjs', 'cjs.cjs']) {
    const result = spawnSync(process.execPath, [file], { cwd: app, stdio: 'inherit' });
    if (result.status !== 0) failed++;
  }
  // Every package exports the same names under import and require.
  const shape = (mode) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `(async () => { const out = {}; for (const n of ${JSON.stringify(names)}) out[n] = Object.keys(${mode === 'esm' ? 'await import(n)' : 'require(n)'}).filter((k) => k !== 'default' && k !== 'module.exports').sort(); console.log(JSON.stringify(out)); })()`,
      ],
      { cwd: app, encoding: 'utf8' },
    ).stdout;
  if (shape('esm') !== shape('cjs')) {
    console.error('ESM and CJS builds export different names.');
    failed++;
  }
  // An app that both imports and requires Keel loads both builds: what core keeps once per
  // process (the id generator) must be shared by them, or ids interleave out of order.
  let dualChecks = 0;
  if (tarballs.has('@keel/core')) {
    dualChecks = 1;
    writeFileSync(
      join(app, 'dual.mjs'),
      `import { createRequire } from 'node:module';
import * as esm from '@keel/core';
const cjs = createRequire(import.meta.url)('@keel/core');
if (esm.newId === cjs.newId) throw new Error('expected two loaded copies of @keel/core');
let previous = '';
for (let i = 0; i < 10000; i++) {
  const id = (i % 2 === 0 ? esm : cjs).newId();
  if (id <= previous) throw new Error('ids out of order across the ESM and CJS builds: ' + previous + ' then ' + id);
  previous = id;
}
console.log('import + require @keel/core: ids in creation order across both builds');`,
    );
    if (spawnSync(process.execPath, ['dual.mjs'], { cwd: app, stdio: 'inherit' }).status !== 0) failed++;
  }
  const total = names.length * 2 + 1 + dualChecks;
  console.log(`\npack-install: ${total - failed} passed, ${failed} failed`);
  if (failed > 0) process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
