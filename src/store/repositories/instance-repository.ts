import { eq } from 'drizzle-orm';
import { newId } from '../../core/ids.ts';
import type { Database } from '../database.ts';
import { instanceMetadata } from '../schema/index.ts';

export interface InstanceMetadata {
  id: string;
  createdAt: Date;
}

/** Reads the installation's identity, creating it on first use (race-free across nodes). */
export function createInstanceRepository(database: Database) {
  return {
    async ensure(): Promise<InstanceMetadata> {
      await database.insert(instanceMetadata).values({ id: newId() }).onConflictDoNothing();
      const [row] = await database
        .select({ id: instanceMetadata.id, createdAt: instanceMetadata.createdAt })
        .from(instanceMetadata)
        .where(eq(instanceMetadata.singleton, 'instance'));
      if (!row) throw new Error('instance metadata missing after insert');
      return row;
    },
  };
}

export type InstanceRepository = ReturnType<typeof createInstanceRepository>;
