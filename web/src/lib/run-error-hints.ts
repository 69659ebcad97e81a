/** What to do about a run's or a step's error code, in a sentence; null when the message says it all. */
export function runErrorHint(code: string): string | null {
  if (code.startsWith('http_step_')) {
    switch (code) {
      case 'http_step_timeout':
        return "The URL did not answer in time: raise the step's timeoutMs or check the receiver.";
      case 'http_step_blocked':
        return 'The server refused the address (private networks are blocked): use a public URL or ask an admin to allow the host.';
      case 'http_step_unreachable':
        return 'Nothing answered at that address: check the URL and that the receiver is up.';
      case 'http_step_response_too_large':
        return 'The answer was over 1 MiB: make the receiver answer less.';
      default:
        return "Check the URL, method and body of the http step; the receiver's answer is in the step output.";
    }
  }
  switch (code) {
    case 'step_failed':
      return 'Open the failed step below for its error, fix the cause, then Retry: completed steps are kept.';
    case 'run_cancelled':
      return 'Retry runs the cancelled and skipped steps again.';
    case 'provider_auth_failed':
      return 'The provider refused the key: update it under Settings → Provider keys, then Retry.';
    case 'provider_not_configured':
      return "Add a provider key for this agent's provider under Settings → Provider keys.";
    case 'provider_rate_limited':
    case 'rate_limited':
    case 'rate_limit_exceeded':
      return 'Too many calls for now: wait a little, then Retry.';
    case 'provider_timeout':
    case 'provider_unavailable':
    case 'circuit_open':
      return 'The provider is slow or down: Retry later, or give the agent a fallback model.';
    case 'output_invalid':
      return "The model's answer did not match the agent's output schema: loosen the schema or make the prompt clearer.";
    case 'input_invalid':
      return "The rendered input did not match the agent's input schema: check the step's input templates.";
    case 'budget_exceeded':
      return 'A spending limit was reached: raise the budget under Settings → Workspace, or wait for the next month.';
    case 'workflow_agent_missing':
      return 'An agent this workflow uses was deleted: pick another agent in the builder.';
    default:
      return null;
  }
}
