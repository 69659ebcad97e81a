const placeholderPattern = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The distinct `{{ input.… }}` lookups of a prompt template, in order of appearance. */
export function templateVariables(template: string): string[] {
  const found = new Set<string>();
  for (const match of template.matchAll(placeholderPattern)) {
    if (match[1]) found.add(match[1]);
  }
  return [...found];
}
