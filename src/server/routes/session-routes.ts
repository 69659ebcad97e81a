import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { permissionsOf } from '../../security/permissions.ts';
import type { Services } from '../../services/create-services.ts';
import type { IssuedSession } from '../../services/identity/authentication-service.ts';
import { originOf, principalOf } from '../authentication.ts';
import { clearedSessionCookie, sessionCookie } from '../cookies.ts';
import { authenticated, emailSchema, errorResponses, nameSchema } from '../schemas.ts';

const userSchema = z.object({ id: z.string(), email: z.string(), name: z.string(), createdAt: z.date() });
const signedInSchema = z.object({ user: userSchema, csrfToken: z.string() });
const passwordSchema = z.string().max(1024);

/** First-run setup, sign-in, sign-out, the current caller, and invitation links. */
export function sessionRoutes(
  dependencies: Pick<Services, 'setup' | 'authentication' | 'workspaces'> & { secureCookies: boolean },
): FastifyPluginAsyncZod {
  const { setup, authentication, workspaces, secureCookies } = dependencies;

  function setSessionCookie(reply: FastifyReply, session: IssuedSession) {
    reply.header(
      'set-cookie',
      sessionCookie(session.sessionId, { secure: secureCookies, expiresAt: session.expiresAt }),
    );
  }

  return async (app) => {
    app.get(
      '/api/setup',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'Whether first-run setup is still pending',
          response: { 200: z.object({ setupRequired: z.boolean() }) },
        },
      },
      async () => ({ setupRequired: await setup.isRequired() }),
    );

    app.post(
      '/api/setup',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'Create the first owner and workspace (only while no user exists)',
          body: z
            .object({
              email: emailSchema,
              password: passwordSchema,
              name: nameSchema,
              workspaceName: nameSchema,
            })
            .strict(),
          response: {
            201: signedInSchema.extend({ workspace: z.object({ id: z.string(), name: z.string() }) }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const { user, workspace } = await setup.completeSetup(request.body);
        const session = await authentication.issueSession(user.id, originOf(request));
        setSessionCookie(reply, session);
        return reply.status(201).send({
          user: { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt },
          workspace: { id: workspace.id, name: workspace.name },
          csrfToken: session.csrfToken,
        });
      },
    );

    app.post(
      '/api/auth/login',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'Sign in with email and password; sets the session cookie',
          body: z.object({ email: z.string().trim().max(320), password: passwordSchema }).strict(),
          response: { 200: signedInSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { user, session } = await authentication.login(request.body, originOf(request));
        setSessionCookie(reply, session);
        return { user, csrfToken: session.csrfToken };
      },
    );

    app.post(
      '/api/auth/set-password',
      {
        config: { public: true },
        schema: {
          tags: ['session'],
          summary: 'Set a password with a one-time invitation link, and sign in',
          body: z.object({ token: z.string().min(1).max(256), password: passwordSchema }).strict(),
          response: { 200: signedInSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { user, session } = await authentication.setPasswordWithLink(request.body, originOf(request));
        setSessionCookie(reply, session);
        return { user, csrfToken: session.csrfToken };
      },
    );

    app.post(
      '/api/auth/logout',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign out: ends this session',
          security: authenticated,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if (principal.kind === 'user') await authentication.logout(principal.sessionIdHash);
        reply.header('set-cookie', clearedSessionCookie({ secure: secureCookies }));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/api/me',
      {
        schema: {
          tags: ['session'],
          summary: 'The caller: a signed-in user with their workspaces, or an API token',
          security: authenticated,
          response: {
            200: z.object({
              kind: z.enum(['user', 'token']),
              user: z.object({ id: z.string(), email: z.string(), name: z.string() }).nullable(),
              csrfToken: z.string().nullable(),
              workspaces: z.array(
                z.object({
                  id: z.string(),
                  name: z.string(),
                  role: z.string(),
                  permissions: z.array(z.string()),
                }),
              ),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const memberships = await workspaces.list(principal);
        const visible = memberships.map((workspace) => ({
          id: workspace.id,
          name: workspace.name,
          role: workspace.role,
          permissions: permissionsOf(workspace.role as Parameters<typeof permissionsOf>[0]),
        }));
        if (principal.kind === 'token') {
          return { kind: 'token' as const, user: null, csrfToken: null, workspaces: visible };
        }
        return {
          kind: 'user' as const,
          user: { id: principal.userId, email: principal.email, name: principal.name },
          csrfToken: principal.csrfToken,
          workspaces: visible,
        };
      },
    );
  };
}
