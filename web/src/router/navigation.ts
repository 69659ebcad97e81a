import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function notify() {
  for (const listener of listeners) listener();
}

/** Where the console shows now: what the back button returns to when a guard says stay. */
let shownPath = typeof window === 'undefined' ? '' : window.location.pathname + window.location.search;

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    // Back and forward have already moved the address; a "stay" puts the page's address back.
    const leavesPage = window.location.pathname !== shownPath.split('?')[0];
    if (leavesPage && [...leaveGuards].some((mayLeave) => !mayLeave())) {
      window.history.pushState(null, '', shownPath);
      return;
    }
    shownPath = window.location.pathname + window.location.search;
    notify();
  });
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Questions asked before leaving the current page (a form with unsaved edits); any "no" stays. */
const leaveGuards = new Set<() => boolean>();

/**
 * While registered, moving to another page in the console (a link, or back and forward) first asks
 * `mayLeave`; the same page with another query (a filter) is not leaving. Returns the function that removes the guard.
 */
export function guardLeaving(mayLeave: () => boolean): () => void {
  leaveGuards.add(mayLeave);
  return () => leaveGuards.delete(mayLeave);
}

/** Moves to a console path without a page load. */
export function navigate(path: string, options: { replace?: boolean } = {}) {
  if (path === window.location.pathname + window.location.search) return;
  const leavesPage = path.split('?')[0] !== window.location.pathname;
  if (leavesPage) for (const mayLeave of leaveGuards) if (!mayLeave()) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  shownPath = path;
  window.scrollTo(0, 0);
  notify();
}

/** The current pathname, re-rendering on navigation. */
export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Matches `/w/:workspaceId/agents` against a path; null when it does not match. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const patternParts = pattern.split('/').filter(Boolean);
  const pathParts = pathname.split('/').filter(Boolean);
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = pathParts[index] ?? '';
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(actual);
    else if (part !== actual) return null;
  }
  return params;
}

/** The current query string as URLSearchParams, re-rendering when it changes. */
export function useSearchParams(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => window.location.search);
  return new URLSearchParams(search);
}

/** Replaces query parameters of the current page (empty values are dropped) without adding history. */
export function replaceSearchParams(change: Record<string, string | null | undefined>) {
  const params = new URLSearchParams(window.location.search);
  for (const [name, value] of Object.entries(change)) {
    if (value) params.set(name, value);
    else params.delete(name);
  }
  const query = params.toString();
  navigate(`${window.location.pathname}${query ? `?${query}` : ''}`, { replace: true });
}
