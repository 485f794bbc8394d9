import { runScenario } from './scenario.js';

console.log('Keel ddd-orders: an order-fulfilment domain with @keel/ddd\n');
await runScenario();
