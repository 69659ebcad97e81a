import { and, asc, count, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Database } from '../database.ts';
import {
  type MembershipStatus,
  memberships,
  users,
  type WorkspaceSettingsColumn,
  workspaces,
} from '../schema/index.ts';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: string;
  hasPassword: boolean;
  /** `active`, or `pending` until the holder accepts the invitation. */
  membershipStatus: string;
  emailVerified: boolean;
  createdAt: Date;
}

/** A membership waiting for its holder to accept it, as the holder sees it. */
export interface PendingInvitationRow {
  workspaceId: string;
  workspaceName: string;
  role: string;
  invitedBy: { email: string; name: string } | null;
  createdAt: Date;
}

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  name: users.name,
  role: memberships.role,
  status: memberships.status,
  passwordHash: users.passwordHash,
  emailVerifiedAt: users.emailVerifiedAt,
  createdAt: memberships.createdAt,
};

function toMember(row: {
  userId: string;
  email: string;
  name: string;
  role: string;
  status: string;
  passwordHash: string | null;
  emailVerifiedAt: Date | null;
  createdAt: Date;
}): MemberRow {
  return {
    userId: row.userId,
    email: row.email,
    name: row.name,
    role: row.role,
    hasPassword: row.passwordHash !== null,
    membershipStatus: row.status,
    emailVerified: row.emailVerifiedAt !== null,
    createdAt: row.createdAt,
  };
}

const activeMembership = eq(memberships.status, 'active');

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
    /** Every workspace's id, for instance-wide audit events (a master key rotation). */
    async listIds(): Promise<string[]> {
      const rows = await database.select({ id: workspaces.id }).from(workspaces);
      return rows.map((row) => row.id);
    },

    async findById(workspaceId: string): Promise<WorkspaceRow | undefined> {
      const [row] = await database.select().from(workspaces).where(eq(workspaces.id, workspaceId));
      return row;
    },
    /**
     * The row locked until the transaction ends, for a read-modify-write of its settings: two
     * concurrent updates of different fields then both apply instead of one overwriting the other.
     */
    async findByIdForUpdate(workspaceId: string): Promise<WorkspaceRow | undefined> {
      const [row] = await database
        .select()
        .from(workspaces)
        .where(eq(workspaces.id, workspaceId))
        .for('update');
      return row;
    },
    async listForUser(userId: string): Promise<Array<WorkspaceRow & { role: string }>> {
      const rows = await database
        .select({ workspace: workspaces, role: memberships.role })
        .from(memberships)
        .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
        .where(and(eq(memberships.userId, userId), activeMembership))
        .orderBy(asc(workspaces.createdAt), asc(workspaces.id));
      return rows.map((row) => ({ ...row.workspace, role: row.role }));
    },
    /** Invitations waiting for this user's answer, oldest first. */
    async listPendingForUser(userId: string): Promise<PendingInvitationRow[]> {
      const rows = await database
        .select({
          workspaceId: workspaces.id,
          workspaceName: workspaces.name,
          role: memberships.role,
          inviterEmail: users.email,
          inviterName: users.name,
          createdAt: memberships.createdAt,
        })
        .from(memberships)
        .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
        .leftJoin(users, eq(users.id, memberships.invitedBy))
        .where(and(eq(memberships.userId, userId), eq(memberships.status, 'pending')))
        .orderBy(asc(memberships.createdAt), asc(workspaces.id));
      return rows.map((row) => ({
        workspaceId: row.workspaceId,
        workspaceName: row.workspaceName,
        role: row.role,
        invitedBy:
          row.inviterEmail === null || row.inviterName === null
            ? null
            : { email: row.inviterEmail, name: row.inviterName },
        createdAt: row.createdAt,
      }));
    },
    /** Turns the user's pending membership active; false when there is none to accept. */
    async activatePending(workspaceId: string, userId: string): Promise<boolean> {
      const rows = await database
        .update(memberships)
        .set({ status: 'active' })
        .where(
          and(
            eq(memberships.workspaceId, workspaceId),
            eq(memberships.userId, userId),
            eq(memberships.status, 'pending'),
          ),
        )
        .returning({ userId: memberships.userId });
      return rows.length > 0;
    },
    /** Deletes the user's pending membership; false when there is none. */
    async deletePending(workspaceId: string, userId: string): Promise<boolean> {
      const rows = await database
        .delete(memberships)
        .where(
          and(
            eq(memberships.workspaceId, workspaceId),
            eq(memberships.userId, userId),
            eq(memberships.status, 'pending'),
          ),
        )
        .returning({ userId: memberships.userId });
      return rows.length > 0;
    },
    /** Verified addresses of active members with one of these roles: who alerts are emailed to. */
    async listVerifiedEmails(workspaceId: string, roles: readonly string[]): Promise<string[]> {
      if (roles.length === 0) return [];
      const rows = await database
        .select({ email: users.email })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(
          and(
            eq(memberships.workspaceId, workspaceId),
            activeMembership,
            inArray(memberships.role, [...roles]),
            isNotNull(users.emailVerifiedAt),
          ),
        )
        .orderBy(asc(users.email));
      return rows.map((row) => row.email);
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

    /** The user's active membership; a pending one grants nothing, so it is not returned. */
    async findMembership(workspaceId: string, userId: string): Promise<{ role: string } | undefined> {
      const [row] = await database
        .select({ role: memberships.role })
        .from(memberships)
        .where(
          and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId), activeMembership),
        );
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
    async addMember(
      workspaceId: string,
      userId: string,
      role: string,
      options: { status?: MembershipStatus; invitedBy?: string | null } = {},
    ): Promise<boolean> {
      const rows = await database
        .insert(memberships)
        .values({
          workspaceId,
          userId,
          role,
          status: options.status ?? 'active',
          invitedBy: options.invitedBy ?? null,
        })
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
    /**
     * Counts the owners who can act — active memberships of accounts that have a password —
     * while locking every owner row, so two concurrent demotions cannot both pass. An invited
     * owner who never activated, or one whose invitation is pending, keeps no workspace alive.
     */
    async countOwnersForUpdate(workspaceId: string): Promise<number> {
      const rows = await database
        .select({ userId: memberships.userId, status: memberships.status, passwordHash: users.passwordHash })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner')))
        .for('update', { of: memberships });
      return rows.filter((row) => row.status === 'active' && row.passwordHash !== null).length;
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
