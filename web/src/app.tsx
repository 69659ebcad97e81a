import { Center, Loader } from '@mantine/core';
import { lazy, Suspense, useEffect } from 'react';
import { ErrorAlert } from './components/error-alert.tsx';
import { WorkspaceLayout } from './components/workspace-layout.tsx';
import { useMe, useSetupStatus } from './hooks/use-session.ts';
import { AgentsPage } from './pages/agents-page.tsx';
import { InvitationsPage } from './pages/invitations-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { ResetPasswordPage } from './pages/reset-password-page.tsx';
import { SetPasswordPage } from './pages/set-password-page.tsx';
import { SetupPage } from './pages/setup-page.tsx';
import { VerifyEmailPage } from './pages/verify-email-page.tsx';
import { matchPath, navigate, usePathname } from './router/navigation.ts';

// The builder (CodeMirror) and the dashboards load on demand, keeping the first page small.
const AgentPage = lazy(() =>
  import('./pages/agent-page.tsx').then((module) => ({ default: module.AgentPage })),
);
const ExecutionsPage = lazy(() =>
  import('./pages/executions-page.tsx').then((module) => ({ default: module.ExecutionsPage })),
);
const ProviderKeysPage = lazy(() =>
  import('./pages/provider-keys-page.tsx').then((module) => ({ default: module.ProviderKeysPage })),
);
const MembersPage = lazy(() =>
  import('./pages/members-page.tsx').then((module) => ({ default: module.MembersPage })),
);
const TokensPage = lazy(() =>
  import('./pages/tokens-page.tsx').then((module) => ({ default: module.TokensPage })),
);
const WorkspaceSettingsPage = lazy(() =>
  import('./pages/workspace-settings-page.tsx').then((module) => ({ default: module.WorkspaceSettingsPage })),
);
const PriceOverridesPage = lazy(() =>
  import('./pages/price-overrides-page.tsx').then((module) => ({ default: module.PriceOverridesPage })),
);
const McpServersPage = lazy(() =>
  import('./pages/mcp-servers-page.tsx').then((module) => ({ default: module.McpServersPage })),
);
const UsagePage = lazy(() =>
  import('./pages/usage-page.tsx').then((module) => ({ default: module.UsagePage })),
);
const AuditPage = lazy(() =>
  import('./pages/audit-page.tsx').then((module) => ({ default: module.AuditPage })),
);
const WorkflowsPage = lazy(() =>
  import('./pages/workflows-page.tsx').then((module) => ({ default: module.WorkflowsPage })),
);
// The builder and the run monitor carry React Flow: they load only when opened.
const WorkflowBuilderPage = lazy(() =>
  import('./pages/workflow-builder-page.tsx').then((module) => ({ default: module.WorkflowBuilderPage })),
);
const RunsPage = lazy(() => import('./pages/runs-page.tsx').then((module) => ({ default: module.RunsPage })));
const RunPage = lazy(() => import('./pages/run-page.tsx').then((module) => ({ default: module.RunPage })));
const ApprovalsPage = lazy(() =>
  import('./pages/approvals-page.tsx').then((module) => ({ default: module.ApprovalsPage })),
);
const ApprovalPage = lazy(() =>
  import('./pages/approval-page.tsx').then((module) => ({ default: module.ApprovalPage })),
);
const ArtifactPage = lazy(() =>
  import('./pages/artifact-page.tsx').then((module) => ({ default: module.ArtifactPage })),
);
const HomePage = lazy(() => import('./pages/home-page.tsx').then((module) => ({ default: module.HomePage })));

type WorkspacePage = (props: { workspaceId: string; params: Record<string, string> }) => React.ReactNode;

const workspaceRoutes: Array<[string, WorkspacePage]> = [
  ['/w/:workspaceId/home', (props) => <HomePage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/agents', (props) => <AgentsPage workspaceId={props.workspaceId} />],
  [
    '/w/:workspaceId/agents/:agentId',
    (props) => <AgentPage workspaceId={props.workspaceId} agentId={props.params.agentId ?? ''} />,
  ],
  ['/w/:workspaceId/executions', (props) => <ExecutionsPage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/workflows', (props) => <WorkflowsPage workspaceId={props.workspaceId} />],
  [
    '/w/:workspaceId/workflows/new',
    (props) => <WorkflowBuilderPage workspaceId={props.workspaceId} workflowId={null} />,
  ],
  [
    '/w/:workspaceId/workflows/:workflowId',
    (props) => (
      <WorkflowBuilderPage workspaceId={props.workspaceId} workflowId={props.params.workflowId ?? null} />
    ),
  ],
  ['/w/:workspaceId/runs', (props) => <RunsPage workspaceId={props.workspaceId} />],
  [
    '/w/:workspaceId/runs/:runId',
    (props) => <RunPage workspaceId={props.workspaceId} runId={props.params.runId ?? ''} />,
  ],
  ['/w/:workspaceId/approvals', (props) => <ApprovalsPage workspaceId={props.workspaceId} />],
  [
    '/w/:workspaceId/approvals/:approvalId',
    (props) => <ApprovalPage workspaceId={props.workspaceId} approvalId={props.params.approvalId ?? ''} />,
  ],
  [
    '/w/:workspaceId/artifacts/:artifactId',
    (props) => <ArtifactPage workspaceId={props.workspaceId} artifactId={props.params.artifactId ?? ''} />,
  ],
  ['/w/:workspaceId/usage', (props) => <UsagePage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/settings/keys', (props) => <ProviderKeysPage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/settings/mcp-servers', (props) => <McpServersPage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/settings/members', (props) => <MembersPage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/settings/tokens', (props) => <TokensPage workspaceId={props.workspaceId} />],
  [
    '/w/:workspaceId/settings/workspace',
    (props) => <WorkspaceSettingsPage workspaceId={props.workspaceId} />,
  ],
  ['/w/:workspaceId/settings/prices', (props) => <PriceOverridesPage workspaceId={props.workspaceId} />],
  ['/w/:workspaceId/settings/audit', (props) => <AuditPage workspaceId={props.workspaceId} />],
];

const pageLoader = (
  <Center h={200}>
    <Loader aria-label="Loading page" />
  </Center>
);

export function App() {
  const pathname = usePathname();
  if (pathname === '/setup') return <SetupPage />;
  if (pathname === '/login') return <LoginPage />;
  if (pathname === '/set-password') return <SetPasswordPage />;
  if (pathname === '/verify-email') return <VerifyEmailPage />;
  if (pathname === '/reset-password') return <ResetPasswordPage />;
  if (pathname === '/invitations') return <InvitationsPage />;
  if (pathname === '/') return <HomeRedirect />;
  for (const [pattern, render] of workspaceRoutes) {
    const params = matchPath(pattern, pathname);
    if (params?.workspaceId) {
      return (
        <WorkspaceLayout workspaceId={params.workspaceId}>
          <Suspense fallback={pageLoader}>{render({ workspaceId: params.workspaceId, params })}</Suspense>
        </WorkspaceLayout>
      );
    }
  }
  return <NotFoundPage />;
}

/** `/`: setup on a fresh install, sign-in without a session, else the first workspace's home dashboard. */
function HomeRedirect() {
  const setup = useSetupStatus();
  const me = useMe();
  const setupRequired = setup.data?.setupRequired;
  const firstWorkspace = me.data?.workspaces[0]?.id;
  const signedOut = me.isSuccess && me.data === null;
  useEffect(() => {
    if (setupRequired === true) navigate('/setup', { replace: true });
    else if (setupRequired === false && signedOut) navigate('/login', { replace: true });
    else if (firstWorkspace) navigate(`/w/${firstWorkspace}/home`, { replace: true });
  }, [setupRequired, signedOut, firstWorkspace]);
  if (setup.error || me.error) return <ErrorAlert error={setup.error ?? me.error} />;
  if (me.data && me.data.workspaces.length === 0) {
    return (
      <ErrorAlert
        title="No workspace"
        error="You are not a member of any workspace. Ask an owner to invite you, or open /invitations to accept one."
      />
    );
  }
  return pageLoader;
}
