/** Keyboard focus helpers shared by the app's menus. */

/**
 * Arrow keys, Home and End move focus among a menu's enabled controls (WAI-ARIA menu pattern),
 * wrapping around; Home and End are left to a text field that has focus (they move its caret).
 * Returns false when the key is not one of these, so the caller lets it through.
 */
export function moveFocus(container: HTMLElement, key: string): boolean {
  if (key !== 'ArrowDown' && key !== 'ArrowUp' && key !== 'Home' && key !== 'End') return false;
  const active = document.activeElement;
  if ((key === 'Home' || key === 'End') && active instanceof HTMLInputElement) return false;
  const items = [...container.querySelectorAll<HTMLElement>('input:not([disabled]), button:not([disabled])')];
  if (items.length === 0) return false;
  const at = items.indexOf(active as HTMLElement);
  const n = items.length;
  let next: number;
  if (key === 'Home') next = 0;
  else if (key === 'End') next = n - 1;
  else if (at < 0) next = key === 'ArrowDown' ? 0 : n - 1;
  else next = key === 'ArrowDown' ? (at + 1) % n : (at - 1 + n) % n;
  items[next]!.focus();
  return true;
}
