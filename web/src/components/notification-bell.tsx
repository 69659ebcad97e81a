import { ActionIcon, Badge, Button, Group, Indicator, Popover, ScrollArea, Stack, Text } from '@mantine/core';
import type { AppNotification } from '../api/api-types.ts';
import { useMarkNotificationRead, useNotifications } from '../hooks/use-guardrails.ts';
import { formatDateTime } from '../lib/format.ts';
import { ErrorAlert } from './error-alert.tsx';

/** The header's bell: how many alerts are unread, and the newest ones with a way to mark them read. */
export function NotificationBell(props: { workspaceId: string }) {
  const { recent, unreadCount } = useNotifications(props.workspaceId);
  const markRead = useMarkNotificationRead(props.workspaceId);
  const items = recent.data?.items ?? [];
  const label = unreadCount === 0 ? 'Notifications' : `Notifications (${unreadCount} unread)`;
  return (
    <Popover width={340} position="bottom-end" shadow="md" withArrow trapFocus>
      {/* The popover's ARIA attributes belong on the button, not on the indicator around it. */}
      <Indicator
        label={unreadCount > 99 ? '99+' : unreadCount}
        size={16}
        color="red"
        disabled={unreadCount === 0}
        data-testid="notification-count"
      >
        <Popover.Target>
          <ActionIcon variant="subtle" size="lg" aria-label={label} data-testid="notification-bell">
            <BellIcon />
          </ActionIcon>
        </Popover.Target>
      </Indicator>
      <Popover.Dropdown p="xs" data-testid="notification-list">
        <Text fw={600} size="sm" px={4} pb={4}>
          Notifications
        </Text>
        <ErrorAlert error={recent.error ?? markRead.error} />
        {items.length === 0 && recent.isSuccess ? (
          <Text size="sm" c="dimmed" p={4}>
            Nothing yet. Budget alerts appear here as spend crosses the thresholds.
          </Text>
        ) : (
          <ScrollArea.Autosize mah={360}>
            <Stack gap="xs">
              {items.map((notification) => (
                <NotificationItem
                  key={notification.id}
                  notification={notification}
                  marking={markRead.isPending && markRead.variables === notification.id}
                  onMarkRead={() => markRead.mutate(notification.id)}
                />
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}

function NotificationItem(props: {
  notification: AppNotification;
  marking: boolean;
  onMarkRead: () => void;
}) {
  const { notification } = props;
  const unread = notification.readAt === null;
  return (
    <Stack
      gap={2}
      p={6}
      data-testid="notification-item"
      data-unread={unread}
      style={{
        borderRadius: 4,
        background: unread ? 'var(--mantine-color-blue-light)' : undefined,
      }}
    >
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Text size="sm" fw={unread ? 700 : 500}>
          {notification.title}
        </Text>
        {unread ? (
          <Badge size="xs" variant="filled">
            new
          </Badge>
        ) : null}
      </Group>
      <Text size="xs">{notification.body}</Text>
      <Group justify="space-between" wrap="nowrap">
        <Text size="xs" c="dimmed">
          {formatDateTime(notification.createdAt)}
        </Text>
        {unread ? (
          <Button
            size="compact-xs"
            variant="subtle"
            loading={props.marking}
            onClick={props.onMarkRead}
            aria-label={`Mark "${notification.title}" read`}
          >
            Mark read
          </Button>
        ) : null}
      </Group>
    </Stack>
  );
}

function BellIcon() {
  return (
    <svg
      width="20"
      height="20"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}
