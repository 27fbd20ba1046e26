import preact from '@preact/preset-vite';
import { defineConfig, type Plugin } from 'vite';
import { opsMock } from './mock/ops-mock.ts';

// `CONSOLE_MOCK=1 vite` (or `vite preview`) answers /v1/ops/* from canned data, so the page can be seen without the
// service. The mock lives in the dev and preview servers only: nothing of it reaches dist/.
const mockApi = (): Plugin => ({
  name: 'codedispatch-ops-mock',
  configureServer: (server) => void server.middlewares.use(opsMock()),
  configurePreviewServer: (server) => void server.middlewares.use(opsMock()),
});

export default defineConfig({
  base: '/console/',
  plugins: [preact(), ...(process.env.CONSOLE_MOCK === '1' ? [mockApi()] : [])],
  build: { outDir: 'dist', assetsDir: 'assets', emptyOutDir: true, sourcemap: false },
});
