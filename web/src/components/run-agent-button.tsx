import { Button, type ButtonProps } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';
import type { Agent } from '../api/api-types.ts';

// The dialog's JSON tab carries CodeMirror: it loads on the first click, keeping the agents list light.
const RunAgentDialog = lazy(() =>
  import('./run-agent-dialog.tsx').then((module) => ({ default: module.RunAgentDialog })),
);

/** A Run button for an agent wherever it is listed; opens the run form generated from its input schema. */
export function RunAgentButton(props: ButtonProps & { workspaceId: string; agent: Agent }) {
  const { workspaceId, agent, ...buttonProps } = props;
  const [open, setOpen] = useState(false);
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button
        size="xs"
        variant="light"
        {...buttonProps}
        aria-label={`Run ${agent.name}`}
        onClick={() => {
          setOpened(true);
          setOpen(true);
        }}
      >
        Run
      </Button>
      {opened ? (
        <Suspense fallback={null}>
          <RunAgentDialog
            workspaceId={workspaceId}
            agent={agent}
            open={open}
            onClose={() => setOpen(false)}
          />
        </Suspense>
      ) : null}
    </>
  );
}
