import { runScenario } from './scenario.js';

console.log('Keel bounded-contexts: Sales and Billing, joined by a published language and an ACL\n');
await runScenario();
