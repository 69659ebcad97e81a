import { useState } from 'react';
import type { ExecutionMode } from '../api/api-types.ts';

const storageKey = (agentId: string) => `flightdeck.test-panel.mode.${agentId}`;

function storedMode(agentId: string): ExecutionMode | null {
  try {
    const value = window.localStorage.getItem(storageKey(agentId));
    return value === 'live' || value === 'mock' ? value : null;
  } catch {
    // Storage refused (private mode, a policy): the choice lasts as long as the page.
    return null;
  }
}

/**
 * The test panel's run mode for one agent: what the builder last chose for it (kept in this
 * browser), else live when a usable key exists, else mock. Without a usable key it is always mock.
 */
export function useTestMode(agentId: string, liveUsable: boolean, preferLive: boolean) {
  const [chosen, setChosen] = useState<ExecutionMode | null>(() => storedMode(agentId));
  const mode: ExecutionMode = !liveUsable ? 'mock' : (chosen ?? (preferLive ? 'live' : 'mock'));
  const choose = (next: ExecutionMode) => {
    setChosen(next);
    try {
      window.localStorage.setItem(storageKey(agentId), next);
    } catch {
      // As above: not kept, still used.
    }
  };
  return { mode, choose };
}
