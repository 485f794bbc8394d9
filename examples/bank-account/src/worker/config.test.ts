import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR } from '../infrastructure.js';
import { readWorkerConfig, WORKER_CONFIG_DEFAULTS } from './config.js';

describe('readWorkerConfig', () => {
  it('runs on the example’s embedded database on port 8080 when nothing is set', () => {
    expect(readWorkerConfig({})).toEqual(WORKER_CONFIG_DEFAULTS);
    expect(readWorkerConfig({}).dataDir).toBe(DEFAULT_DATA_DIR);
  });

  it('treats empty variables as unset, and an empty KEEL_PG_URL as embedded PGlite', () => {
    const config = readWorkerConfig({
      PORT: '',
      KEEL_PG_URL: '',
      KEEL_PG_SCHEMA: ' ',
      KEEL_HEARTBEAT_MS: '',
    });
    expect(config).toEqual(WORKER_CONFIG_DEFAULTS);
  });

  it('reads every setting from the environment', () => {
    const config = readWorkerConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      KEEL_PG_URL: 'postgres://postgres@db:5432/bank',
      KEEL_PG_SCHEMA: 'bank',
      KEEL_DATA_DIR: '/data/pglite',
      KEEL_STOP_DEADLINE_MS: '25000',
      KEEL_HEARTBEAT_MS: '2000',
    });
    expect(config).toEqual({
      port: 0,
      host: '127.0.0.1',
      url: 'postgres://postgres@db:5432/bank',
      schema: 'bank',
      dataDir: '/data/pglite',
      stopDeadlineMs: 25_000,
      heartbeatMs: 2_000,
    });
  });

  it('refuses every bad variable in one ValidationError', () => {
    const read = () =>
      readWorkerConfig({ PORT: 'http', KEEL_STOP_DEADLINE_MS: '-1', KEEL_HEARTBEAT_MS: '30000' });
    expect(read).toThrow(
      expect.objectContaining({
        code: 'VALIDATION_FAILED',
        issues: [
          expect.objectContaining({ path: ['PORT'] }),
          expect.objectContaining({ path: ['KEEL_STOP_DEADLINE_MS'] }),
          expect.objectContaining({
            path: ['KEEL_HEARTBEAT_MS'],
            message: expect.stringContaining('lease ttl'),
          }),
        ],
      }),
    );
  });

  it('refuses a port above 65535', () => {
    expect(() => readWorkerConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});
