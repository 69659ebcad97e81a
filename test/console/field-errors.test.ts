import { describe, expect, it } from 'vitest';
import { ApiError } from '../../web/src/api/api-error.ts';
import { fieldErrorsOf, labelOfField } from '../../web/src/api/field-errors.ts';
import { formatDuration } from '../../web/src/lib/format.ts';

const validation = (details: unknown) =>
  new ApiError({ status: 400, code: 'validation_failed', message: 'The request is invalid: …', details });

describe('console field errors', () => {
  it('puts each validation problem under its field as a sentence, the rest apart', () => {
    const error = validation([
      { location: 'body', path: '/email', message: 'must be an email address' },
      { location: 'body', path: '/email', message: 'is too long' },
      { location: 'body', path: '/workspaceName', message: 'must not be empty' },
      { location: 'body', path: '/extra/0', message: 'is invalid' },
    ]);
    expect(fieldErrorsOf(error, ['email', 'workspaceName'])).toEqual({
      fields: {
        email: 'Email must be an email address.',
        workspaceName: 'Workspace name must not be empty.',
      },
      rest: ['Extra › 0 is invalid.'],
    });
  });

  it('reads pointers inside a list entry and uses the form’s own labels', () => {
    const error = validation([
      {
        path: '/settings/priceOverrides/1/inputPerMillionUsd',
        message: 'Too big: expected number to be <=100000',
      },
      { path: '/settings/priceOverrides/0/model', message: 'must not be empty' },
    ]);
    const mapped = fieldErrorsOf(
      error,
      ['inputPerMillionUsd', 'model'],
      { inputPerMillionUsd: 'Input price' },
      '/settings/priceOverrides/1',
    );
    expect(mapped.fields).toEqual({
      inputPerMillionUsd: 'Input price Too big: expected number to be <=100000.',
    });
    expect(mapped.rest).toEqual(['Settings › Price overrides › 0 › Model must not be empty.']);
  });

  it('maps a domain error that names its field to that field, with the server’s sentence', () => {
    const error = new ApiError({
      status: 400,
      code: 'provider_key_unknown',
      message: 'No provider key nope in this workspace',
      details: { field: 'providerKeyId', id: 'nope' },
    });
    expect(fieldErrorsOf(error, ['providerKeyId']).fields).toEqual({
      providerKeyId: 'No provider key nope in this workspace.',
    });
    expect(fieldErrorsOf(error, ['name']).fields).toEqual({});
    expect(fieldErrorsOf(new Error('network'), ['name'])).toEqual({ fields: {}, rest: [] });
  });

  it('spells out field names and waits in human units', () => {
    expect(labelOfField('rateLimitPerMinute')).toBe('Rate limit per minute');
    expect(formatDuration(897)).toBe('15 minutes');
    expect(formatDuration(1)).toBe('1 second');
    expect(formatDuration(0.2)).toBe('1 second');
    expect(formatDuration(45)).toBe('45 seconds');
    expect(formatDuration(3600)).toBe('1 hour');
    expect(formatDuration(3601)).toBe('2 hours');
    expect(formatDuration(2 * 86_400)).toBe('2 days');
  });
});
