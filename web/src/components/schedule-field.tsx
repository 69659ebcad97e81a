import { Autocomplete, Group, List, Stack, Text, TextInput } from '@mantine/core';
import { Cron } from 'croner';
import { useMemo } from 'react';
import { describeCron } from '../lib/describe-cron.ts';

const timeZones = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

/** The next ticks of a schedule as the server's croner reads it; an error when it cannot. */
function nextTicks(schedule: string, timezone: string | null): { ticks: Date[]; error: string | null } {
  try {
    const job = new Cron(schedule, { timezone: timezone || undefined, paused: true });
    return { ticks: job.nextRuns(3), error: null };
  } catch (error) {
    return { ticks: [], error: (error as Error).message };
  }
}

/** Cron plus time zone, said in words with the next three ticks. */
export function ScheduleField(props: {
  schedule: string;
  timezone: string;
  onChange: (change: { schedule: string; timezone: string }) => void;
  scheduleError?: string | null;
  timezoneError?: string | null;
}) {
  const schedule = props.schedule.trim();
  const preview = useMemo(
    () => (schedule ? nextTicks(schedule, props.timezone.trim() || null) : null),
    [schedule, props.timezone],
  );
  const description = schedule ? describeCron(schedule) : null;
  const zone = props.timezone.trim() || 'UTC';
  const format = (date: Date) =>
    date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: zone });
  return (
    <Stack gap="xs">
      <Group grow align="flex-start" wrap="wrap" preventGrowOverflow={false}>
        <TextInput
          label="Schedule (cron)"
          description="Five fields (minute hour day month weekday), or six with seconds. Empty: no schedule."
          placeholder="0 9 * * 1-5"
          value={props.schedule}
          error={props.scheduleError ?? (preview?.error ? `Not a cron expression: ${preview.error}` : null)}
          onChange={(event) =>
            props.onChange({ schedule: event.currentTarget.value, timezone: props.timezone })
          }
          miw={220}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
        />
        <Autocomplete
          label="Time zone"
          description="IANA name; UTC when empty."
          placeholder="UTC"
          data={timeZones}
          limit={20}
          value={props.timezone}
          error={props.timezoneError}
          onChange={(timezone) => props.onChange({ schedule: props.schedule, timezone })}
          miw={200}
        />
      </Group>
      {preview && !preview.error ? (
        <div data-testid="schedule-preview">
          {description ? (
            <Text size="sm" fw={500}>
              {description} ({zone})
            </Text>
          ) : null}
          <Text size="xs" c="dimmed">
            Next runs:
          </Text>
          <List size="xs">
            {preview.ticks.map((tick) => (
              <List.Item key={tick.toISOString()}>{format(tick)}</List.Item>
            ))}
          </List>
        </div>
      ) : null}
    </Stack>
  );
}
