import {
  AppShell,
  Burger,
  Button,
  Center,
  Group,
  Loader,
  NavLink,
  Select,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { type ReactNode, useEffect } from 'react';
import { useMe, useSignOut } from '../hooks/use-session.ts';
import { navigate, usePathname } from '../router/navigation.ts';
import { CreateWorkspaceButton } from './create-workspace-button.tsx';
import { ErrorAlert } from './error-alert.tsx';
import { NotificationBell } from './notification-bell.tsx';
import { PendingApprovalsBadge } from './pending-approvals-badge.tsx';

const sections = [
  { label: 'Home', path: 'home' },
  { label: 'Agents', path: 'agents' },
  { label: 'Workflows', path: 'workflows' },
  { label: 'Runs', path: 'runs' },
  { label: 'Approvals', path: 'approvals' },
  { label: 'Executions', path: 'executions' },
  { label: 'Usage', path: 'usage' },
];
const settings = [
  { label: 'Provider keys', path: 'settings/keys' },
  { label: 'MCP servers', path: 'settings/mcp-servers' },
  { label: 'Members', path: 'settings/members' },
  { label: 'API tokens', path: 'settings/tokens' },
  { label: 'Workspace', path: 'settings/workspace' },
  { label: 'Model prices', path: 'settings/prices' },
  { label: 'Audit log', path: 'settings/audit' },
];

/** The signed-in frame: navigation, workspace switcher and sign-out; sends visitors without a session to sign in. */
export function WorkspaceLayout(props: { workspaceId: string; children: ReactNode }) {
  const me = useMe();
  const signOut = useSignOut();
  const pathname = usePathname();
  const [navigationOpen, navigation] = useDisclosure(false);
  const signedOut = me.isSuccess && me.data === null;

  useEffect(() => {
    if (signedOut) navigate(`/login?next=${encodeURIComponent(window.location.pathname)}`, { replace: true });
  }, [signedOut]);
  // Close the phone menu after moving to another page.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on path change only
  useEffect(() => navigation.close(), [pathname]);

  if (me.isPending || signedOut) {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (me.error) return <ErrorAlert error={me.error} />;
  const workspaces = me.data?.workspaces ?? [];
  const current = workspaces.find((workspace) => workspace.id === props.workspaceId);
  const base = `/w/${props.workspaceId}`;

  const link = (item: { label: string; path: string }) => {
    const href = `${base}/${item.path}`;
    return (
      <NavLink
        key={item.path}
        href={href}
        label={item.label}
        rightSection={
          item.path === 'approvals' && current ? (
            <PendingApprovalsBadge workspaceId={props.workspaceId} />
          ) : null
        }
        active={pathname === href || pathname.startsWith(`${href}/`)}
        onClick={(event) => {
          event.preventDefault();
          navigate(href);
        }}
      />
    );
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navigationOpen } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px={{ base: 'xs', sm: 'md' }} justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navigationOpen}
              onClick={navigation.toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
            />
            <Title order={4}>Flightdeck</Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {current ? <NotificationBell workspaceId={props.workspaceId} /> : null}
            <Select
              aria-label="Workspace"
              data-testid="workspace-switcher"
              size="xs"
              w={{ base: 110, sm: 200 }}
              data={workspaces.map((workspace) => ({ value: workspace.id, label: workspace.name }))}
              value={props.workspaceId}
              allowDeselect={false}
              onChange={(value) => value && navigate(`/w/${value}/home`)}
            />
            {me.data?.kind === 'user' ? <CreateWorkspaceButton /> : null}
            <Button
              size="xs"
              variant="subtle"
              loading={signOut.isPending}
              onClick={async () => {
                await signOut.mutateAsync().catch(() => undefined);
                navigate('/login');
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <Stack gap={2}>
          {sections.map(link)}
          <Text size="xs" c="dimmed" mt="md" mb={4} px="sm" tt="uppercase" fw={600}>
            Settings
          </Text>
          {settings.map(link)}
        </Stack>
        <Text size="xs" c="dimmed" mt="auto" px="sm">
          {me.data?.user?.email} · {current?.role ?? ''}
        </Text>
      </AppShell.Navbar>
      <AppShell.Main>
        {current ? (
          props.children
        ) : (
          <ErrorAlert
            title="Workspace not found"
            error="This workspace does not exist or you are not a member of it. Pick one in the switcher."
          />
        )}
      </AppShell.Main>
    </AppShell>
  );
}
