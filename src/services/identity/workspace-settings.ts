import { z } from 'zod';
import type { WorkspaceSettingsColumn } from '../../store/schema/index.ts';

export type WorkspaceSettings = WorkspaceSettingsColumn;

export const defaultWorkspaceSettings: Required<WorkspaceSettings> = {
  rateLimitPerMinute: 100,
  monthlyBudgetUsd: null,
  alertThresholds: [50, 80, 100],
  alertWebhookUrl: null,
  priceOverrides: [],
  approverRoles: ['admin', 'member'],
  traceContent: false,
  recordExecutions: false,
  storeExecutionContent: true,
  executionRetentionDays: null,
};

const pricePerMillion = z.number().min(0).max(100_000);

const priceOverrideSchema = z
  .object({
    model: z.string().trim().min(1).max(200),
    provider: z.enum(['openai', 'anthropic', 'openai-compatible']).optional(),
    inputPerMillionUsd: pricePerMillion,
    outputPerMillionUsd: pricePerMillion,
    cachedInputPerMillionUsd: pricePerMillion.optional(),
  })
  .strict();

/** Settings as clients send them: every field optional, unknown fields refused. */
export const workspaceSettingsPatchSchema = z
  .object({
    rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
    monthlyBudgetUsd: z.number().min(0).max(100_000_000).nullable().optional(),
    alertThresholds: z
      .array(z.number().int().min(1).max(100))
      .max(10)
      .refine((values) => new Set(values).size === values.length, { message: 'thresholds must be distinct' })
      .optional(),
    alertWebhookUrl: z
      .string()
      .max(2048)
      .refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), {
        message: 'must be an http(s) URL',
      })
      .nullable()
      .optional(),
    priceOverrides: z
      .array(priceOverrideSchema)
      .max(200)
      .refine(
        (entries) =>
          new Set(entries.map((entry) => `${entry.provider ?? '*'}/${entry.model}`)).size === entries.length,
        { message: 'each model (and provider) may have one price' },
      )
      .optional(),
    approverRoles: z
      .array(z.enum(['admin', 'member']))
      .max(2)
      .refine((values) => new Set(values).size === values.length, { message: 'roles must be distinct' })
      .optional(),
    traceContent: z.boolean().optional(),
    recordExecutions: z.boolean().optional(),
    storeExecutionContent: z.boolean().optional(),
    executionRetentionDays: z.number().int().min(1).max(3_650).nullable().optional(),
  })
  .strict();

export const workspaceSettingsSchema = z.object({
  rateLimitPerMinute: z.number().int(),
  monthlyBudgetUsd: z.number().nullable(),
  alertThresholds: z.array(z.number().int()),
  alertWebhookUrl: z.string().nullable(),
  priceOverrides: z.array(priceOverrideSchema),
  approverRoles: z.array(z.enum(['admin', 'member'])),
  traceContent: z.boolean(),
  recordExecutions: z.boolean(),
  storeExecutionContent: z.boolean(),
  executionRetentionDays: z.number().int().nullable(),
});

/** Stored settings with a default for every field (rows written before a field existed lack it). */
export function completeSettings(stored: WorkspaceSettings | undefined): Required<WorkspaceSettings> {
  const settings = { ...defaultWorkspaceSettings, ...stored };
  return {
    ...settings,
    priceOverrides: settings.priceOverrides ?? [],
    approverRoles: settings.approverRoles ?? defaultWorkspaceSettings.approverRoles,
  };
}

/** Applies a partial update; thresholds are kept sorted so alerts fire in order. */
export function mergeWorkspaceSettings(
  current: WorkspaceSettings,
  patch: z.infer<typeof workspaceSettingsPatchSchema>,
): WorkspaceSettings {
  const merged = completeSettings(current);
  for (const [name, value] of Object.entries(patch)) {
    if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
  }
  merged.alertThresholds = [...merged.alertThresholds].sort((first, second) => first - second);
  return merged;
}
