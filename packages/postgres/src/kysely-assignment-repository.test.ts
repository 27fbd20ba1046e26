import { kyselyUnderTest } from './testing/harness';
import { assignmentRepositoryContract } from './testing/repository-contract';
import { OPEN_TIMEOUT_MS, openTestDatabase, TEST_DIALECTS, type TestDatabase } from './testing/test-database';

describe.each(TEST_DIALECTS)('KyselyAssignmentRepository on %s', (dialect) => {
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await database?.close();
  });

  assignmentRepositoryContract(`KyselyAssignmentRepository (${dialect})`, () => kyselyUnderTest(database as TestDatabase));
});
