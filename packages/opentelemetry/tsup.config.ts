import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/logs.ts', 'src/prometheus.ts', 'src/local.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  tsconfig: '../../tsconfig.build.json',
});
