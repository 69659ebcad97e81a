import { Table, Text } from '@mantine/core';
import { formatPricedTotal, formatUsd } from '../lib/format.ts';

export interface UsageRow {
  key: string;
  name: string;
  spentUsd: number;
  reservedUsd: number;
  calls: number;
  /** Calls of a model without a price: shown as "not priced", never summed into Spent as $0. */
  unpricedCalls: number;
}

/** One breakdown of this month's spend (by agent or by provider key), biggest first. */
export function UsageTable(props: { caption: string; nameHeader: string; rows: UsageRow[]; testId: string }) {
  const rows = [...props.rows].sort((a, b) => b.spentUsd + b.reservedUsd - (a.spentUsd + a.reservedUsd));
  if (rows.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No live spend this month yet.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={360}>
      <Table striped data-testid={props.testId} aria-label={props.caption}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{props.nameHeader}</Table.Th>
            <Table.Th ta="right">Spent</Table.Th>
            <Table.Th ta="right">Reserved</Table.Th>
            <Table.Th ta="right">Calls</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.key}>
              <Table.Td>{row.name}</Table.Td>
              <Table.Td ta="right">{formatPricedTotal(row.spentUsd, row.unpricedCalls, row.calls)}</Table.Td>
              <Table.Td ta="right">{formatUsd(row.reservedUsd)}</Table.Td>
              <Table.Td ta="right">{row.calls.toLocaleString()}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
