import { createTheme, type MantineColorsTuple } from '@mantine/core';

// A calm indigo that reads well on both themes.
const brand: MantineColorsTuple = [
  '#eef1ff',
  '#dbe0fa',
  '#b4bdf0',
  '#8a98e7',
  '#6778df',
  '#5064db',
  '#4459da',
  '#3549c2',
  '#2d40ae',
  '#20369a',
];

export const theme = createTheme({
  primaryColor: 'brand',
  colors: { brand },
  defaultRadius: 'md',
  fontFamily: 'Inter, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  headings: { fontWeight: '650' },
  cursorType: 'pointer',
  components: {
    Table: { defaultProps: { verticalSpacing: 6, horizontalSpacing: 'sm', fz: 'sm' } },
    Badge: { defaultProps: { radius: 'sm' } },
    Tooltip: { defaultProps: { openDelay: 300, withArrow: true } },
    // Mantine's close button of a dialog is an icon without a name: a screen reader said only "button".
    Modal: {
      defaultProps: {
        centered: true,
        overlayProps: { backgroundOpacity: 0.45, blur: 2 },
        closeButtonProps: { 'aria-label': 'Close' },
      },
    },
    Drawer: { defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } },
  },
});
