/**
 * Layer rules. The core is the pure domain: it may import only fp-ts, io-ts
 * and its own files. Adapters may import the core, never the app; nothing
 * imports the composition root. The tools (the simulator) drive the service
 * through its HTTP API only, and nothing imports them.
 */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'packages/core imports nothing but fp-ts, io-ts and its own files (no express, pg, kysely, winston, inversify, node built-ins…).',
      severity: 'error',
      from: { path: '^packages/core/src', pathNot: '\\.test\\.ts$' },
      to: {
        pathNot: ['^packages/core/src', 'node_modules/(fp-ts|io-ts)/'],
      },
    },
    {
      name: 'core-tests-stay-in-core',
      comment: 'Core tests may add fast-check, nothing else from outside.',
      severity: 'error',
      from: { path: '^packages/core/src.*\\.test\\.ts$' },
      to: { pathNot: ['^packages/core/src', 'node_modules/(fp-ts|io-ts|fast-check)/'] },
    },
    {
      name: 'adapters-do-not-import-the-app',
      comment: "but the client's tests, which hold the client against the service's document and a running instance",
      severity: 'error',
      from: { path: '^packages/', pathNot: '^packages/client/src/.*\\.test\\.ts$' },
      to: { path: '^apps/' },
    },
    {
      name: 'client-talks-http-only',
      comment: 'packages/client imports no other workspace package: it talks to the service over HTTP (its tests excepted).',
      severity: 'error',
      from: { path: '^packages/client/src', pathNot: '\\.test\\.ts$' },
      to: { path: '^(packages|apps|tools)/', pathNot: '^packages/client/' },
    },
    {
      name: 'console-talks-http-only',
      comment: 'apps/console is a browser page: it imports no other workspace, and reads the service over /v1/ops only.',
      severity: 'error',
      from: { path: '^apps/console/' },
      to: { path: '^(packages|apps|tools)/', pathNot: '^apps/console/' },
    },
    {
      name: 'tools-use-the-public-api',
      comment: 'tools/ talk to the service over HTTP: they import no app code (no test hooks inside the service).',
      severity: 'error',
      from: { path: '^tools/' },
      to: { path: '^apps/' },
    },
    {
      name: 'nothing-imports-the-tools',
      comment: "but tests, for the throwaway PostgreSQL server the fault tests and the chaos run share",
      severity: 'error',
      from: { path: '^(packages|apps)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^tools/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.jest.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
