/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// SWC strips types only; `npm run typecheck` (tsc) is what checks them.
const swc = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

// Tests import the workspace packages from source, so no build is needed first.
const moduleNameMapper = {
  '^@codedispatch/core$': '<rootDir>/packages/core/src',
  '^@codedispatch/core/testing$': '<rootDir>/packages/core/src/testing',
  '^@codedispatch/core/adapter$': '<rootDir>/packages/core/src/adapter',
  '^@codedispatch/core/document$': '<rootDir>/packages/core/src/config/document',
  '^@codedispatch/postgres$': '<rootDir>/packages/postgres/src',
  '^@codedispatch/postgres/testing$': '<rootDir>/packages/postgres/src/testing',
  '^@codedispatch/postgres/command-line$': '<rootDir>/packages/postgres/src/cli/command-line',
  '^@codedispatch/tracker-http$': '<rootDir>/packages/tracker-http/src',
  '^@codedispatch/tracker-http/testing$': '<rootDir>/packages/tracker-http/src/testing',
  '^@codedispatch/processing-queue$': '<rootDir>/packages/processing-queue/src',
  '^@codedispatch/mongo-import$': '<rootDir>/packages/mongo-import/src',
  '^@codedispatch/client$': '<rootDir>/packages/client/src',
  '^@codedispatch/client/webhook$': '<rootDir>/packages/client/src/webhook',
};

const project = (displayName: string, dir: string): Config => ({
  displayName,
  rootDir: __dirname,
  testEnvironment: 'node',
  roots: [`<rootDir>/${dir}`],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest', swc] as [string, Record<string, unknown>] },
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
  moduleNameMapper,
});

const config: Config = {
  projects: [
    project('core', 'packages/core'),
    project('postgres', 'packages/postgres'),
    project('tracker-http', 'packages/tracker-http'),
    project('processing-queue', 'packages/processing-queue'),
    project('mongo-import', 'packages/mongo-import'),
    project('client', 'packages/client'),
    project('http', 'apps/http'),
    project('console', 'apps/console'),
    project('simulator', 'tools/simulator'),
    project('bench', 'bench'),
  ],
  testTimeout: 30000,
  // Coverage is collected from the core only, and its threshold is part of every run.
  collectCoverage: true,
  coverageReporters: ['text-summary', 'lcov'],
  collectCoverageFrom: ['packages/core/src/**/*.ts', '!packages/core/src/**/*.test.ts', '!packages/core/src/**/index.ts'],
  coverageThreshold: { './packages/core/src/': { lines: 95 } },
};

export default config;
