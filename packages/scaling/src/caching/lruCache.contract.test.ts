import { LruCache } from './lruCache.js';
import { cacheContract } from './testing/cacheContract.js';

cacheContract('LruCache', (settings) => new LruCache(settings));
cacheContract(
  'LruCache bounded by size too',
  (settings) => new LruCache({ ...settings, maxSize: 1_000, sizeOf: () => 1 }),
);
