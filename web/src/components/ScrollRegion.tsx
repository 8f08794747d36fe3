import type { ReactNode } from 'react';

/**
 * A horizontally scrollable area (wide tables on a narrow screen). It takes focus so keyboard users can
 * scroll it (WCAG 2.1.1, axe scrollable-region-focusable), and is named for screen readers.
 */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    // biome-ignore lint/a11y/useSemanticElements: a section would add a landmark per table
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
