/** Shared e2e helpers: open captures through the hidden file input, wait for the analysis. */
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';

export const PUBLIC_CAPTURES = path.resolve(import.meta.dirname, '../../shared/captures/public');

export async function openCapture(page: Page, file: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByRole('region', { name: 'Capture summary' })).toBeVisible({ timeout: 30_000 });
}
