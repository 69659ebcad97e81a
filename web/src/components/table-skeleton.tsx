import { Skeleton, Stack } from '@mantine/core';

/** Placeholder rows while a list loads, so the layout does not jump. */
export function TableSkeleton(props: { rows?: number }) {
  return (
    <Stack gap="xs" role="status" aria-busy="true" aria-label="Loading">
      {Array.from({ length: props.rows ?? 5 }, (_, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <Skeleton key={index} height={36} radius="sm" />
      ))}
    </Stack>
  );
}
