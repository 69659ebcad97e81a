import { describe, expect, it } from 'vitest';
import { slugify, workspaceSlugs } from './metric-labels.ts';

describe('workspace labels', () => {
  it('slugs a name: lowercase, ascii, dashes, at most 48 characters', () => {
    expect(slugify('Acme Corp.')).toBe('acme-corp');
    expect(slugify('  Équipe Données  ')).toBe('equipe-donnees');
    expect(slugify('!!!')).toBe('workspace');
    expect(slugify('x'.repeat(80))).toHaveLength(48);
  });

  it('keeps labels unique: the younger of two same-named workspaces gets its id suffix', () => {
    const slugs = workspaceSlugs([
      { id: 'bbbbbb-222222', name: 'Acme', createdAt: new Date('2026-02-01') },
      { id: 'aaaaaa-111111', name: 'Acme', createdAt: new Date('2026-01-01') },
      { id: 'cccccc-333333', name: 'Globex', createdAt: new Date('2026-03-01') },
    ]);
    expect(Object.fromEntries(slugs)).toEqual({
      'aaaaaa-111111': 'acme',
      'bbbbbb-222222': 'acme-222222',
      'cccccc-333333': 'globex',
    });
    // Oldest first: the receiver sends instance-wide alerts to the first.
    expect([...slugs.keys()][0]).toBe('aaaaaa-111111');
  });
});
