import { describe, expect, it } from 'vitest';
import { parseTemplate } from '../../core/template.ts';
import {
  headerSecretNames,
  renderBodyTemplate,
  renderHeader,
  renderUrlTemplate,
} from './render-tool-template.ts';

describe('tool request templates', () => {
  it('percent-encodes every value put into a URL, so an argument cannot add a parameter or a path', () => {
    const url = renderUrlTemplate(
      parseTemplate('https://api.example.com/items/{{ input.id }}?q={{ input.q }}'),
      {
        id: '../admin',
        q: 'a&b=c #1',
      },
    );
    expect(url).toBe('https://api.example.com/items/..%2Fadmin?q=a%26b%3Dc%20%231');
    expect(new URL(url).searchParams.get('q')).toBe('a&b=c #1');
  });

  it('keeps the type of a body leaf that is one placeholder, renders text around placeholders, keeps key order', () => {
    const body = renderBodyTemplate(
      { z: '{{ input.count }}', a: 'n={{ input.count }}', list: ['{{ input.tags }}'], fixed: true },
      { count: 3, tags: ['x', 'y'] },
    );
    expect(body).toEqual({ z: 3, a: 'n=3', list: [['x', 'y']], fixed: true });
    expect(Object.keys(body as object)).toEqual(['z', 'a', 'list', 'fixed']);
  });

  it('keeps a __proto__ key of a body template as data', () => {
    const template = JSON.parse('{"__proto__": {"polluted": "{{ input.v }}"}}');
    const body = renderBodyTemplate(template, { v: 'yes' }) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a missing argument with a code the model can act on', () => {
    expect(() => renderUrlTemplate(parseTemplate('https://x.example/{{ input.id }}'), {})).toThrow(
      expect.objectContaining({ code: 'tool_argument_missing' }),
    );
  });

  it('lets headers name secrets and nothing else', () => {
    expect(
      headerSecretNames('authorization', 'Bearer {{ secrets.API_KEY }}', 'tools[0].headers.authorization'),
    ).toEqual(['API_KEY']);
    expect(() => headerSecretNames('x-id', '{{ input.id }}', 'tools[0].headers.x-id')).toThrow(
      expect.objectContaining({ code: 'tool_header_invalid' }),
    );
    expect(renderHeader('Bearer {{ secrets.API_KEY }}', { API_KEY: 'k-1' })).toBe('Bearer k-1');
  });
});
