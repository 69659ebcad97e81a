import { Button, Group, Menu, NumberInput, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { ToolEntry, ToolKind } from '../api/tool-types.ts';
import { newToolEntry, toolKindLabels } from '../lib/tool-entries.ts';
import { ToolEntryEditor } from './tool-entry-editor.tsx';

/** The agent's tools: add, edit and remove http, agent and MCP tools, and the cap on calls per run. */
export function AgentToolsSection(props: {
  workspaceId: string;
  agentId: string;
  tools: ToolEntry[];
  maxToolCalls: number;
  onToolsChange: (tools: ToolEntry[]) => void;
  onMaxToolCallsChange: (value: number) => void;
  onValidityChange: (valid: boolean) => void;
}) {
  // Validity per entry, by position; a removed entry takes its flag with it.
  const [invalid, setInvalid] = useState<boolean[]>([]);
  const report = (flags: boolean[]) => {
    setInvalid(flags);
    props.onValidityChange(!flags.some(Boolean));
  };
  const add = (kind: ToolKind) =>
    props.onToolsChange([
      ...props.tools,
      newToolEntry(
        kind,
        props.tools.map((tool) => tool.name),
      ),
    ]);
  return (
    <Stack gap="sm" data-testid="agent-tools">
      <Group justify="space-between" align="flex-end">
        <Text size="sm" c="dimmed" maw={520}>
          The model may call these while it works; every call is recorded with its arguments and result.
          {props.tools.length === 0 ? ' No tools: one prompt, one answer.' : ''}
        </Text>
        <Group gap="xs" align="flex-end">
          <NumberInput
            label="Max tool calls"
            min={1}
            max={100}
            w={130}
            value={props.maxToolCalls}
            onChange={(value) => props.onMaxToolCallsChange(Number(value) || 1)}
          />
          <Menu position="bottom-end">
            <Menu.Target>
              <Button variant="light">Add tool</Button>
            </Menu.Target>
            <Menu.Dropdown>
              {(Object.keys(toolKindLabels) as ToolKind[]).map((kind) => (
                <Menu.Item key={kind} onClick={() => add(kind)}>
                  {toolKindLabels[kind]}
                </Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
        </Group>
      </Group>
      {props.tools.map((entry, index) => (
        <ToolEntryEditor
          // Position is the identity while editing: names change as you type.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={index}
          workspaceId={props.workspaceId}
          agentId={props.agentId}
          index={index}
          entry={entry}
          onChange={(next) =>
            props.onToolsChange(props.tools.map((tool, at) => (at === index ? next : tool)))
          }
          onRemove={() => {
            props.onToolsChange(props.tools.filter((_, at) => at !== index));
            report(invalid.filter((_, at) => at !== index));
          }}
          onValidityChange={(valid) => {
            const flags = [...invalid];
            flags[index] = !valid;
            report(flags);
          }}
        />
      ))}
    </Stack>
  );
}
