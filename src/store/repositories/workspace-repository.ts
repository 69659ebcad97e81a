import { and, asc, count, eq } from 'drizzle-orm';
import type { Database } from '../database.ts';
import { memberships, users, type WorkspaceSettingsColumn, workspaces } from '../schema/index.ts';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: string;
  hasPassword: boolean;
  createdAt: Date;
}

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  name: users.name,
  role: memberships.role,
  passwordHash: users.passwordHash,
  createdAt: memberships.createdAt,
};

function toMember(row: {
  userId: string;
  email: string;
  name: string;
  role: string;
  passwordHash: string | null;
  createdAt: Date;
}): MemberRow {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    hasPassword: row.passwordHash !== null,
    createdAt: row.createdAt,
  };
}

/** Workspaces and their memberships. Every membership query names its workspace. */
export function createWorkspaceRepository(database: Database) {
  return {
    async insert(workspace: {
      id: string;
      name: string;
      settings: WorkspaceSettingsColumn;
    }): Promise<WorkspaceRow> {
      const [row] = await database.insert(workspaces).values(workspace).returning();
      if (!row) throw new Error('insert returned no row');
      return row;
    },
    async findById(workspaceId: string): Promise<WorkspaceRow | undefined> {
      const [row] = await database.select().from(workspaces).where(eq(workspaces.id, workspaceId));
      return row;
    },
    async listForUser(userId: string): Promise<Array<WorkspaceRow & { role: string }>> {
      const rows = await database
        .select({ workspace: workspaces, role: memberships.role })
        .from(memberships)
        .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
        .where(eq(memberships.userId, userId))
        .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
      return rows.map((row) => ({ ...row.workspace, role: row.role }));
    },
    async update(
      workspaceId: string,
      changes: { name?: string; settings?: WorkspaceSettingsColumn },
    ): Promise<WorkspaceRow | undefined> {
      const [row] = await database
        .update(workspaces)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(workspaces.id, workspaceId))
        .returning();
      return row;
    },
    async delete(workspaceId: string): Promise<boolean> {
      const rows = await database
        .delete(workspaces)
        .where(eq(workspaces.id, workspaceId))
        .returning({ id: workspaces.id });
      return rows.length > 0;
    },

    async findMembership(workspaceId: string, userId: string): Promise<{ role: string } | undefined> {
      const [row] = await database
        .select({ role: memberships.role })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
      return row;
    },
    async findMember(workspaceId: string, userId: string): Promise<MemberRow | undefined> {
      const [row] = await database
        .select(memberColumns)
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
      return row ? toMember(row) : undefined;
    },
    async listMembers(workspaceId: string): Promise<MemberRow[]> {
      const rows = await database
        .select(memberColumns)
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(eq(memberships.workspaceId, workspaceId))
        .orderBy(asc(memberships.createdAt), asc(users.email));
      return rows.map(toMember);
    },
    async addMember(workspaceId: string, userId: string, role: string): Promise<boolean> {
      const rows = await database
        .insert(memberships)
        .values({ workspaceId, userId, role })
        .onConflictDoNothing()
        .returning({ userId: memberships.userId });
      return rows.length > 0;
    },
    async setRole(workspaceId: string, userId: string, role: string): Promise<boolean> {
      const rows = await database
        .update(memberships)
        .set({ role })
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
        .returning({ userId: memberships.userId });
      return rows.length > 0;
    },
    async removeMember(workspaceId: string, userId: string): Promise<boolean> {
      const rows = await database
        .delete(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
        .returning({ userId: memberships.userId });
      return rows.length > 0;
    },
    /** Counts owners while locking their rows, so two concurrent demotions cannot both pass. */
    async countOwnersForUpdate(workspaceId: string): Promise<number> {
      const rows = await database
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner')))
        .for('update');
      return rows.length;
    },
    async countMembers(workspaceId: string): Promise<number> {
      const [row] = await database
        .select({ value: count() })
        .from(memberships)
        .where(eq(memberships.workspaceId, workspaceId));
      return row?.value ?? 0;
    },
  };
}
