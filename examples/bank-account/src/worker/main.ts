/**
 * `pnpm worker`: the bank's worker service, as it would run in a container. It serves the
 * probes, projects the accounts into the balances table under a `ProjectionDaemon`, and on
 * `SIGTERM` (what Kubernetes sends before killing a pod) or Ctrl-C stops gracefully and exits 0.
 * Settings come from the environment (see `config.ts`).
 */
import { readWorkerConfig } from './config.js';
import { WorkerService } from './service.js';

console.log('Keel bank-account worker: the balances projection under a ProjectionDaemon\n');
const service = new WorkerService(readWorkerConfig());

// `once`: a second Ctrl-C meets Node's default handling and ends the process at once.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void service.stop(signal).then((code) => process.exit(code)));
}

try {
  await service.start();
} catch (error) {
  console.error(
    `The worker service could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  await service.stop('Start failed');
  process.exit(1);
}
