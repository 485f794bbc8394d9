import { rateLimitStoreContract } from '../testing/rateLimitStoreContract.js';
import { InMemoryRateLimitStore } from './rateLimitStore.js';

rateLimitStoreContract('InMemoryRateLimitStore', () => new InMemoryRateLimitStore());
