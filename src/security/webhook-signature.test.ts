import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.ts';

describe('webhook signatures', () => {
  const body = JSON.stringify({ event: 'budget.threshold_reached', threshold: 80 });

  it('verifies its own signature and refuses a changed body, secret or stale timestamp', () => {
    const header = signWebhook('whsec_test', 1_800_000_000, body);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('whsec_test', header, body, { nowSeconds: 1_800_000_010 })).toBe(true);
    expect(verifyWebhookSignature('whsec_test', header, `${body} `, { nowSeconds: 1_800_000_010 })).toBe(
      false,
    );
    expect(verifyWebhookSignature('whsec_other', header, body, { nowSeconds: 1_800_000_010 })).toBe(false);
    expect(verifyWebhookSignature('whsec_test', header, body, { nowSeconds: 1_800_001_000 })).toBe(false);
    expect(verifyWebhookSignature('whsec_test', 'garbage', body)).toBe(false);
  });
});
