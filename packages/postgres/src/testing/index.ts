/** @codedispatch/postgres/testing: the test support other packages' tests use (tests only: not built). */
export * from './command-streams';
