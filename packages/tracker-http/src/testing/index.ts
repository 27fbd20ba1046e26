/** A fake tracker speaking the acquire protocol, for tests and the demo. */
export * from './fake-tracker-server';
