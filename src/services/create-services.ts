import { createPasswordHasher, type PasswordHasher } from '../security/password-hashing.ts';
import type { Store } from '../store/database.ts';
import { createRepositories } from '../store/repositories/index.ts';
import { createApiTokenService } from './identity/api-token-service.ts';
import {
  createAuthenticationService,
  type LoginThrottlePolicy,
  type SessionPolicy,
} from './identity/authentication-service.ts';
import { type Clock, systemClock } from './identity/identity-clock.ts';
import { createMemberService } from './identity/member-service.ts';
import { createSetupService } from './identity/setup-service.ts';
import { createWorkspaceService } from './identity/workspace-service.ts';

export interface ServiceOptions {
  store: Store;
  publicUrl: string;
  clock?: Clock;
  passwordHasher?: PasswordHasher;
  sessionPolicy?: SessionPolicy;
  loginThrottlePolicy?: LoginThrottlePolicy;
}

/** Wires every use case over one store; the composition root for the server and the CLI. */
export function createServices(options: ServiceOptions) {
  const database = options.store.database;
  const repositories = createRepositories(database);
  const clock = options.clock ?? systemClock;
  const passwordHasher = options.passwordHasher ?? createPasswordHasher();
  return {
    clock,
    passwordHasher,
    repositories,
    setup: createSetupService({ database }),
    authentication: createAuthenticationService({
      repositories,
      passwordHasher,
      clock,
      sessionPolicy: options.sessionPolicy,
      loginThrottlePolicy: options.loginThrottlePolicy,
    }),
    workspaces: createWorkspaceService({ database, repositories }),
    members: createMemberService({ database, repositories, clock, publicUrl: options.publicUrl }),
    apiTokens: createApiTokenService({ repositories, clock }),
  };
}

export type Services = ReturnType<typeof createServices>;
