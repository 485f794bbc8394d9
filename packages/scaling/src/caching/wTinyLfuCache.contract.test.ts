import { seededRandom } from '@keel/core';
import { WTinyLfuCache } from './wTinyLfuCache.js';
import { cacheContract } from './testing/cacheContract.js';

cacheContract('WTinyLfuCache', (settings) => new WTinyLfuCache({ ...settings, random: seededRandom(19) }));
cacheContract(
  'WTinyLfuCache, fixed window with a doorkeeper',
  (settings) =>
    new WTinyLfuCache({ ...settings, adaptive: false, doorkeeper: true, random: seededRandom(19) }),
);
