import { InMemoryAssignmentRepository } from '@codedispatch/core/testing';
import { KyselyAssignmentRepository } from '../kysely-assignment-repository';
import { LegacyImportWriter } from '../legacy-import-writer';
import { payloadToEvent } from '../outbox.table';
import type { RepositoryUnderTest, WrittenEvent } from './repository-contract';
import type { TestDatabase } from './test-database';

/** The in-memory adapter of the core, as the contract drives it. */
export const inMemoryUnderTest = async (): Promise<RepositoryUnderTest> => {
  const repo = new InMemoryAssignmentRepository();
  return {
    repo,
    another: async () => repo,
    outbox: async () => repo.events.map(({ eventId, ...event }) => ({ eventId, event })),
    seed: async (records) => records.forEach((r) => repo.seed(r)),
    close: async () => undefined,
  };
};

/** Reads the outbox of a database: every event with its id, oldest first. */
export const readOutbox = async (database: TestDatabase): Promise<readonly WrittenEvent[]> => {
  const rows = await database.handle.db
    .selectFrom('code_dispatch.outbox')
    .select(['event_id', 'payload'])
    .orderBy('id')
    .execute();
  return rows.map((r) => {
    if (r.payload.event_id !== r.event_id)
      throw new Error(`payload event_id ${r.payload.event_id} is not the row's ${r.event_id}`);
    return { eventId: r.event_id, event: payloadToEvent(r.payload) };
  });
};

/** The Kysely adapter on an emptied test database. */
export const kyselyUnderTest = async (database: TestDatabase): Promise<RepositoryUnderTest> => {
  await database.reset();
  const repo = new KyselyAssignmentRepository(database.handle.db);
  return {
    repo,
    another: async () =>
      database.dialect === 'postgres' ? new KyselyAssignmentRepository((await database.connectAgain()).db) : repo,
    outbox: () => readOutbox(database),
    seed: async (records) => {
      const writer = new LegacyImportWriter(database.handle);
      try {
        const result = await writer.write(records);
        if (result.inserted !== records.length) throw new Error(`seed refused: ${JSON.stringify(result)}`);
      } finally {
        await writer.close();
      }
    },
    close: async () => undefined,
  };
};
