/**
 * @codedispatch/http: the REST service. `createApp(deps)` is the express app
 * (for supertest and embedding), `buildContainer(options)` the composition
 * root, `main()` the process (see main.ts).
 */
export { createApp, ROUTES, type AppDeps } from './app';
export { buildContainer, type ContainerOptions } from './container';
export { TOKENS } from './tokens';
export { loadConfig, configFromDocument, type LoadedConfig } from './config/load-config';
export { ReloadableConfigSource } from './config/reloadable-config-source';
export { openApiDocument } from './http/openapi';
