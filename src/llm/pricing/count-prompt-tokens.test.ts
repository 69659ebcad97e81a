import { describe, expect, it } from 'vitest';
import { countTokensLinear, prepareTokenCounts } from './count-prompt-tokens.ts';

describe('prepareTokenCounts', () => {
  it('counts a long text as countTokensLinear does, letting the event loop run in between', async () => {
    const text = `${'word '.repeat(30_000)}${'a'.repeat(200_000)}`;
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    await prepareTokenCounts([text]);
    clearInterval(ticker);
    // A timer ran while it counted: the loop was not held for the whole text.
    expect(turns).toBeGreaterThan(0);
    // The prepared count is the one the synchronous count returns (here from what was prepared).
    const prepared = countTokensLinear(text);
    const fresh = countTokensLinear(`${text} `) - countTokensLinear(' ');
    expect(Math.abs(prepared - fresh)).toBeLessThanOrEqual(1);
  });

  it('skips short and missing texts', async () => {
    await expect(prepareTokenCounts([undefined, 'short'])).resolves.toBeUndefined();
  });
});
