import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../services/create-services.ts';
import { actorOf, principalOf } from '../authentication.ts';
import { authenticated, emailSchema, errorResponses, listOf } from '../schemas.ts';

const invitationSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  workspaceName: z.string(),
  role: z.string(),
  invitedBy: z.object({ email: z.string(), name: z.string() }).nullable(),
  createdAt: z.date(),
});
/** One pending invitation per user and workspace, so an invitation's id is its workspace's id. */
const invitationParams = z.object({ invitationId: z.string().min(1).max(64) }).strict();
const linkTokenSchema = z.string().min(1).max(256);

/**
 * The signed-in user's own account: invitations waiting for an answer, address verification,
 * and password resets. Not workspace routes: they act for a person, not inside a workspace.
 */
export function invitationRoutes(
  dependencies: Pick<Services, 'accountLinks' | 'audit' | 'invitations'>,
): FastifyPluginAsyncZod {
  const { accountLinks, audit, invitations } = dependencies;
  return async (app) => {
    app.get(
      '/api/invitations',
      {
        schema: {
          tags: ['session'],
          summary: 'Invitations to workspaces waiting for your answer',
          security: authenticated,
          response: { 200: listOf(invitationSchema), ...errorResponses },
        },
      },
      async (request) => ({
        items: await invitations.list(principalOf(request)),
        nextCursor: null,
      }),
    );

    app.post(
      '/api/invitations/:invitationId/accept',
      {
        schema: {
          tags: ['session'],
          summary:
            'Accept an invitation: the membership becomes active (needs a confirmed address when email is configured)',
          security: authenticated,
          params: invitationParams,
          response: { 200: invitationSchema, ...errorResponses },
        },
      },
      async (request) => {
        const accepted = await invitations.accept(principalOf(request), request.params.invitationId);
        await audit.record(
          accepted.workspaceId,
          actorOf(request),
          'member.added',
          { type: 'user', id: principalOf(request).userId },
          { role: accepted.role, status: 'active', accepted: true },
        );
        return accepted;
      },
    );

    app.post(
      '/api/invitations/:invitationId/decline',
      {
        schema: {
          tags: ['session'],
          summary: 'Decline an invitation: the pending membership is deleted',
          security: authenticated,
          params: invitationParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await invitations.decline(principalOf(request), request.params.invitationId);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/api/me/email-verification',
      {
        schema: {
          tags: ['session'],
          summary: 'Email yourself a link that confirms your address (needs SMTP)',
          security: authenticated,
          response: { 202: z.object({ alreadyVerified: z.boolean() }), ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(202).send(await accountLinks.requestVerification(principalOf(request))),
    );

    app.post(
      '/api/auth/verify-email',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'Confirm an address with the token of an emailed confirmation link',
          body: z.object({ token: linkTokenSchema }).strict(),
          response: {
            200: z.object({ email: z.string(), emailVerified: z.literal(true) }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const verified = await accountLinks.verifyEmail(request.body.token);
        return { email: verified.email, emailVerified: true as const };
      },
    );

    app.post(
      '/api/auth/password-reset',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary:
            'Email a password reset link to an address (the same answer whether it has an account or not; needs SMTP)',
          body: z.object({ email: emailSchema }).strict(),
          response: { 202: z.object({ accepted: z.literal(true) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        await accountLinks.requestPasswordReset(request.body.email);
        return reply.status(202).send({ accepted: true as const });
      },
    );
  };
}
