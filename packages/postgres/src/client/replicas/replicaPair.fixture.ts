import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servicesRequired } from '@keel/test-services';

const run = promisify(execFile);

/** The PostgreSQL tools the pair needs, each found in one bin directory. */
const TOOLS = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'] as const;

/** A primary and its streaming replica, made for one test file on loopback ports. */
export interface ReplicaPair {
  readonly primaryUrl: string;
  readonly replicaUrl: string;
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** Stops the primary (`pg_ctl stop -m fast`); the replica keeps serving reads. */
  stopPrimary(): Promise<void>;
  /** Starts the primary again on the same port and data directory. */
  startPrimary(): Promise<void>;
  /** Restarts the primary in one step (`pg_ctl restart -m fast`). */
  restartPrimary(): Promise<void>;
  /** Stops both servers and deletes their directories; idempotent. */
  destroy(): Promise<void>;
}

/** The bin directory holding every tool, or undefined when PostgreSQL is not installed. */
async function findBinDir(): Promise<string | undefined> {
  const versioned = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  const candidates = [
    ...versioned.sort((a, b) => Number(b) - Number(a)).map((v) => `/usr/lib/postgresql/${v}/bin`),
    '/usr/local/bin',
    '/usr/local/pgsql/bin',
  ];
  return candidates.find((dir) => TOOLS.every((tool) => existsSync(join(dir, tool))));
}

/**
 * Whether the pair can be made here. Missing tools skip the tests with a printed reason, unless
 * `KEEL_REQUIRE_SERVICES=1`, which turns that into a failure.
 */
export async function replicaToolsAvailable(): Promise<boolean> {
  const bin = await findBinDir();
  if (bin !== undefined && process.getuid?.() === 0) return true;
  const reason =
    bin === undefined
      ? 'initdb, pg_ctl and pg_basebackup were not found in /usr/lib/postgresql/*/bin or /usr/local/bin'
      : 'making a PostgreSQL cluster needs root (to run the tools as the postgres user)';
  if (servicesRequired()) throw new Error(`${reason}, and KEEL_REQUIRE_SERVICES=1 forbids skipping.`);
  process.stderr.write(`[skip] ${reason}: skipping the primary + replica tests.\n`);
  return false;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Claims a port pair across test processes until `release` (a file made with O_EXCL). */
async function claim(port: number): Promise<boolean> {
  try {
    await writeFile(claimFile(port), String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    // A claim left by a test process that died is free again.
    const owner = Number(await readFile(claimFile(port), 'utf8').catch(() => '0'));
    if (owner > 0 && alive(owner)) return false;
    await rm(claimFile(port), { force: true });
    return writeFile(claimFile(port), String(process.pid), { flag: 'wx' }).then(
      () => true,
      () => false,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const claimFile = (port: number): string => join(tmpdir(), `keel-replica-port-${port}.claim`);

/** Two consecutive free ports in 55400-55499, starting at a random place, claimed for this pair. */
async function freePorts(): Promise<[number, number]> {
  const start = Math.floor(Math.random() * 50) * 2;
  for (let i = 0; i < 50; i++) {
    const port = 55400 + ((start + i * 2) % 100);
    if (!(await claim(port))) continue;
    if ((await portFree(port)) && (await portFree(port + 1))) return [port, port + 1];
    await rm(claimFile(port), { force: true });
  }
  throw new Error('No two free loopback ports in 55400-55499 for the primary + replica pair.');
}

/** Runs a PostgreSQL tool as the postgres user, bounded in time; the error carries its output. */
async function asPostgres(bin: string, tool: string, args: string[], timeoutMs = 60_000): Promise<void> {
  try {
    await run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout: timeoutMs });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${stderr || stdout || String(error)}`, {
      cause: error,
    });
  }
}

function settings(port: number, dir: string): string {
  return [
    '',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${dir}'`,
    'wal_level = replica',
    'max_wal_senders = 5',
    'wal_keep_size = 256MB',
    'hot_standby = on',
    // The replica retries its primary quickly after a restart (default 5 s).
    'wal_retrieve_retry_interval = 200ms',
    'fsync = off',
    'shared_buffers = 32MB',
    '',
  ].join('\n');
}

/**
 * Test helper: makes a primary with `initdb` (wal_level=replica) and a replica of it with
 * `pg_basebackup -R`, as the postgres user, on two free loopback ports in 55400-55499, and
 * starts both. Never touches the shared server on 5432. Call `destroy()` in `afterAll`.
 */
export async function createReplicaPair(): Promise<ReplicaPair> {
  const bin = await findBinDir();
  if (bin === undefined) throw new Error('PostgreSQL tools not found (see replicaToolsAvailable).');
  const root = await mkdtemp(join(tmpdir(), 'keel-replica-'));
  await chown(root, ...(await postgresIds()));
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const [primaryPort, replicaPort] = await freePorts();
  const ctl = (dir: string, ...args: string[]) =>
    asPostgres(bin, 'pg_ctl', ['-D', dir, '-l', `${dir}.log`, '-w', '-t', '60', ...args], 70_000);
  const started: string[] = [];
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const dir of started.reverse()) await ctl(dir, 'stop', '-m', 'immediate').catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    await rm(claimFile(primaryPort), { force: true });
  };
  try {
    await asPostgres(bin, 'initdb', [
      '-D',
      primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await appendFile(primaryDir + '/postgresql.conf', settings(primaryPort, root));
    await ctl(primaryDir, 'start');
    started.push(primaryDir);
    await asPostgres(bin, 'pg_basebackup', [
      ...['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'],
      ...['-D', replicaDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
    ]);
    await appendFile(replicaDir + '/postgresql.conf', settings(replicaPort, root));
    await ctl(replicaDir, 'start');
    started.push(replicaDir);
  } catch (error) {
    await destroy();
    throw error;
  }
  const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    primaryUrl: url(primaryPort),
    replicaUrl: url(replicaPort),
    primaryPort,
    replicaPort,
    stopPrimary: () => ctl(primaryDir, 'stop', '-m', 'fast'),
    startPrimary: () => ctl(primaryDir, 'start'),
    restartPrimary: () => ctl(primaryDir, 'restart', '-m', 'fast'),
    destroy,
  };
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return [Number(uid.trim()), Number(gid.trim())];
}
