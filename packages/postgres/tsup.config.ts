import { defineConfig } from 'tsup';
import { keelPackage } from '../../tools/build/src/tsupPreset.js';

// Entries come from the package.json exports (their `@keel/source` conditions).
export default defineConfig(keelPackage());
