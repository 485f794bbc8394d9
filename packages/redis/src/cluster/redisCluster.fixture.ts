// Test-only: starts a throwaway Redis Cluster (3 masters, 3 replicas) on loopback ports from the
// installed binaries, and removes every trace of it afterwards.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { servicesRequired } from '@keel/test-services';
import { Cluster, Redis } from 'ioredis';
import { reservePorts } from './clusterPorts.fixture.js';
import type { PortBlock } from './clusterPorts.fixture.js';

const REDIS_SERVER = process.env.KEEL_REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.KEEL_REDIS_CLI_BIN ?? '/usr/bin/redis-cli';
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => globalThis.setTimeout(resolve, ms));

/** One node of the fixture's cluster. */
export interface ClusterNode {
  readonly port: number;
  /** The redis-server process; `undefined` once it was killed. */
  process: ChildProcess | undefined;
}

/** A running test cluster. */
export interface RedisClusterFixture {
  /** Every node, masters and replicas (the roles move on a failover). */
  readonly nodes: readonly ClusterNode[];
  /** `host:port` of every node, for a `Cluster` client's startup nodes. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** A new cluster client (lazily connecting); closed by {@link stop}. */
  connect(): Cluster;
  /** A plain connection to one node (for admin commands); closed by {@link stop}. */
  node(port: number): Redis;
  /** Kills the node's process with SIGKILL, as a crash would. */
  kill(port: number): Promise<void>;
  /** Freezes (`SIGSTOP`) or resumes (`SIGCONT`) the node's process. */
  signal(port: number, signal: 'SIGSTOP' | 'SIGCONT'): void;
  /** The ports of the master serving `slot` and of its replicas, as the cluster reports now. */
  shardOf(slot: number): Promise<{ master: number; replicas: number[] }>;
  /** Resolves once every node still running reports `cluster_state:ok` and every slot is served. */
  waitUntilOk(timeoutMs?: number): Promise<void>;
  /** Closes every client, stops every node and removes the temp dir (at most ~10 s). */
  stop(): Promise<void>;
}

/**
 * Starts a 3-master, 3-replica Redis Cluster on six free loopback ports in 7100-7199 (bus ports
 * +10000), each node in its own temp dir with persistence off, joins it with `redis-cli --cluster
 * create` and waits for `cluster_state:ok` on every node. Returns `undefined` (after printing why)
 * when the binaries are missing, unless `KEEL_REQUIRE_SERVICES=1`, when it throws. Call
 * {@link RedisClusterFixture.stop} in `afterAll`; a process exit kills the nodes too.
 */
export async function startRedisCluster(name: string): Promise<RedisClusterFixture | undefined> {
  if (!redisClusterBinaries(name)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), `keel-${name}-`));
  const block = await reservePorts(6);
  const fixture = new Fixture(dir, block);
  try {
    await fixture.start();
    return fixture;
  } catch (error) {
    await fixture.stop();
    throw error;
  }
}

/**
 * Whether redis-server and redis-cli are installed. When they are not: with
 * `KEEL_REQUIRE_SERVICES=1` throws (so the suite fails); otherwise prints why the suite `name` is
 * skipped and returns `false`.
 */
export function redisClusterBinaries(name: string): boolean {
  if (existsSync(REDIS_SERVER) && existsSync(REDIS_CLI)) return true;
  const reason = `${REDIS_SERVER} or ${REDIS_CLI} is missing`;
  if (servicesRequired()) throw new Error(`${reason}, and KEEL_REQUIRE_SERVICES=1 forbids skipping.`);
  // eslint-disable-next-line no-console -- a skipped suite says why (DESIGN: skip with a printed reason)
  console.warn(`[skip] ${reason}: skipping the Redis Cluster tests of ${name}.`);
  return false;
}

class Fixture implements RedisClusterFixture {
  readonly nodes: ClusterNode[];
  readonly startupNodes: { host: string; port: number }[];
  readonly #dir: string;
  readonly #block: PortBlock;
  readonly #clients: (Redis | Cluster)[] = [];
  readonly #onExit = (): void => this.#killAll();

  constructor(dir: string, block: PortBlock) {
    this.#dir = dir;
    this.#block = block;
    this.nodes = block.ports.map((port) => ({ port, process: undefined }));
    this.startupNodes = block.ports.map((port) => ({ host: '127.0.0.1', port }));
    process.once('exit', this.#onExit);
  }

  async start(): Promise<void> {
    for (const node of this.nodes) node.process = this.#spawn(node.port);
    await Promise.all(this.nodes.map((node) => this.#waitForPing(node.port, 10_000)));
    const addresses = this.nodes.map((node) => `127.0.0.1:${node.port}`);
    const args = ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'];
    await run(REDIS_CLI, args, { timeout: 30_000 });
    await this.waitUntilOk(30_000);
    await this.#waitForReplicas(30_000);
  }

  /** Resolves once every master has a replica whose replication link is up. */
  async #waitForReplicas(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const masters = await Promise.all([0, 5_461, 10_923].map((slot) => this.shardOf(slot)));
      const infos = await Promise.all(masters.map(({ master }) => this.#info(master, 'replication')));
      const linked = infos.every((info) => /slave0:.*state=online/.test(info));
      if (linked && masters.every(({ replicas }) => replicas.length > 0)) return;
      if (Date.now() > deadline)
        throw new Error(`The test cluster's replicas are not in sync after ${timeoutMs} ms.`);
      await sleep(100);
    }
  }

  async #info(port: number, section: string): Promise<string> {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      return await client.info(section);
    } finally {
      client.disconnect();
    }
  }

  #spawn(port: number): ChildProcess {
    const dir = join(this.#dir, String(port));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const args = [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      // Fast failure detection, and a replica is always allowed to take over (failover tests).
      ...['--cluster-node-timeout', '1000', '--cluster-replica-validity-factor', '0'],
      ...['--save', '', '--appendonly', 'no', '--logfile', join(dir, 'redis.log')],
      ...['--enable-debug-command', 'local'],
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child.on('error', () => undefined);
    return child;
  }

  connect(): Cluster {
    const client = new Cluster(this.startupNodes, {
      lazyConnect: true,
      redisOptions: { maxRetriesPerRequest: 1 },
      // A failover moves slots: retry a command for a while instead of failing it at once.
      clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
      retryDelayOnClusterDown: 200,
      retryDelayOnFailover: 200,
      retryDelayOnTryAgain: 200,
      maxRedirections: 64,
      slotsRefreshTimeout: 2_000,
    });
    client.on('error', () => undefined);
    client.on('node error', () => undefined);
    this.#clients.push(client);
    return client;
  }

  node(port: number): Redis {
    if (!this.nodes.some((node) => node.port === port))
      throw new Error(`Port ${port} is not a node of this cluster.`);
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    this.#clients.push(client);
    return client;
  }

  async kill(port: number): Promise<void> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    const child = node?.process;
    if (node === undefined || child === undefined) return;
    node.process = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  signal(port: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.nodes.find((node) => node.port === port)?.process?.kill(signal);
  }

  async shardOf(slot: number): Promise<{ master: number; replicas: number[] }> {
    const running = this.nodes.filter((node) => node.process !== undefined);
    const admin = new Redis({
      port: running[0]!.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    admin.on('error', () => undefined);
    const ranges = await admin.cluster('SLOTS').finally(() => admin.disconnect());
    const range = ranges.find(([start, end]) => start <= slot && slot <= end);
    const [master, ...replicas] = (range?.slice(2) ?? []) as [string, number, ...unknown[]][];
    if (master === undefined) throw new Error(`No node serves slot ${slot}.`);
    return { master: master[1], replicas: replicas.map((replica) => replica[1]) };
  }

  async waitUntilOk(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const running = this.nodes.filter((node) => node.process !== undefined);
    for (;;) {
      const states = await Promise.all(running.map((node) => this.#clusterOk(node.port)));
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`The test cluster is not ok after ${timeoutMs} ms.`);
      await sleep(100);
    }
  }

  async #clusterOk(port: number): Promise<boolean> {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      const info = await client.cluster('INFO');
      return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }

  async #waitForPing(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        if ((await client.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`redis-server on port ${port} did not start in ${timeoutMs} ms.`);
        await sleep(50);
      } finally {
        client.disconnect();
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.quit().catch(() => client.disconnect())));
    await Promise.all(this.nodes.map((node) => this.#stopNode(node)));
    process.off('exit', this.#onExit);
    rmSync(this.#dir, { recursive: true, force: true });
    rmSync(this.#block.lockFile, { force: true });
  }

  /** SIGTERM, then SIGKILL if it has not exited within 3 s. */
  async #stopNode(node: ClusterNode): Promise<void> {
    const child = node.process;
    node.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = globalThis.setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    globalThis.clearTimeout(timer);
  }

  #killAll(): void {
    for (const node of this.nodes) node.process?.kill('SIGKILL');
  }
}
