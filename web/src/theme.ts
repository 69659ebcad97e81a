import { Badge, type CSSVariablesResolver, createTheme, Drawer, Modal } from '@mantine/core';

/**
 * The console's theme, tuned for WCAG AA contrast (checked by axe in test/browser/hub-flow.test.ts):
 * primary shade 8 (indigo-8 on white is 5.7:1; the default shade 6 is 4.0:1), dimmed text one
 * shade darker, and the light variant's text darkened for the bright palettes whose darkest shade
 * still fails on their own tint (yellow, orange, green). Dialogs' close buttons get a name.
 * Badges never shrink below their text: in a crowded table row at 390 px Mantine's ellipsis cut
 * "completed" to "compl…" (test/browser/settings-pages-flow.test.ts checks every badge's width).
 */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'md',
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Badge: Badge.extend({ styles: { root: { minWidth: 'max-content', flexShrink: 0 } } }),
  },
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
    // Indigo's light text sits on its hover tint (indigo-2) too: 5.7:1 there.
    '--mantine-color-indigo-light-color': '#2b3d9e',
    // White on green-8 is 3.4:1; these keep filled green (badges, buttons) at 6:1.
    '--mantine-color-green-filled': '#237032',
    '--mantine-color-green-filled-hover': '#1c5a28',
    '--mantine-color-yellow-light-color': '#8a4f00',
    '--mantine-color-orange-light-color': '#a3360b',
    '--mantine-color-green-light-color': '#1f6b30',
    '--mantine-color-teal-light-color': '#06664a',
  },
  dark: {},
});
