/**
 * Training mode end to end on the lab samples in public/samples: the library (from the top bar,
 * `?training`, the start page), a full walkthrough of 01-missing-ack where every step selects and
 * highlights exactly its frames in the ladder, a quiz answered wrong then right with the
 * diagnosis overlays hidden until checked, and progress remembered across a reload. Takes
 * screenshots into test-results/ for a human to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import type { Page } from '@playwright/test';
import { kindWords } from '../src/ui/training/kinds.ts';
import { waitIdle } from './helpers.ts';

interface Manifest {
  id: string;
  title: string;
  symptom: string;
  walkthrough: Array<{ title: string; frames: number[] }>;
  quiz: { question: string; answer: string; distractors: string[] };
}

const SAMPLES = path.resolve(import.meta.dirname, '../public/samples');
const manifests: Manifest[] = fs
  .readdirSync(SAMPLES)
  .filter((d) => fs.existsSync(path.join(SAMPLES, d, 'manifest.json')))
  .map((d) => JSON.parse(fs.readFileSync(path.join(SAMPLES, d, 'manifest.json'), 'utf8')) as Manifest);
const missingAck = manifests.find((m) => m.id === '01-missing-ack')!;
const shots = path.resolve(import.meta.dirname, '../test-results/training');

const card = (page: Page, id: string) => page.locator(`[data-testid="training-sample"][data-sample="${id}"]`);
const frameOf = (label: string | null) => Number(/^frame (\d+),/.exec(label ?? '')?.[1] ?? NaN);
const evidenceFrames = (page: Page) => page.locator('.ladder g.arrow.evidence').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));

test.use({ viewport: { width: 1400, height: 900 } });

test('the library lists every lab sample by pattern, symptom first; reachable from the top bar, ?training and the start page', async ({ page }) => {
  await page.goto('/');
  const start = page.getByRole('navigation', { name: 'Training samples' });
  await expect(start.getByRole('listitem')).toHaveCount(manifests.length);
  await expect(start.getByRole('link', { name: `“${missingAck.symptom}”` })).toHaveAttribute('href', '#/training/01-missing-ack/step/1');
  await page.getByRole('banner').getByRole('link', { name: 'Training library' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Training library' })).toBeFocused();
  await expect(page.getByTestId('training-sample')).toHaveCount(manifests.length);
  for (const m of manifests) {
    await expect(card(page, m.id).locator('blockquote')).toHaveText(`“${m.symptom}”`);
    await expect(card(page, m.id).getByRole('heading')).toContainText(m.title);
  }
  await expect(page.getByRole('region', { name: kindWords('ack-missing') })).toContainText(missingAck.symptom);
  await expect(page.getByTestId('training-total')).toHaveText(`0 of ${manifests.length} walkthroughs completed · 0 quizzes answered right`);
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'library.png'), fullPage: true });

  // Esc leaves the library; ?training opens it.
  await page.keyboard.press('Escape');
  await expect(page.getByRole('heading', { name: 'Training library' })).toHaveCount(0);
  await page.goto('/?training');
  await expect(page.getByTestId('training-sample')).toHaveCount(manifests.length);
});

test('walkthrough of 01-missing-ack: each step selects and highlights its frames; completion is remembered', async ({ page }) => {
  await page.goto('/#/training');
  await card(page, missingAck.id).getByRole('button', { name: 'Start walkthrough' }).click();
  await waitIdle(page);
  const total = missingAck.walkthrough.length + 3;
  const counter = page.getByTestId('step-counter');
  await expect(counter).toHaveText(`Step 1 of ${total}`);
  await expect(page.getByRole('heading', { name: 'The customer’s report' })).toBeFocused();
  await expect(page.getByTestId('training-bar')).toContainText(missingAck.symptom);

  for (let i = 0; i < total; i++) {
    await expect(counter).toHaveText(`Step ${i + 1} of ${total}`);
    const w = i >= 1 && i <= missingAck.walkthrough.length ? missingAck.walkthrough[i - 1]! : null;
    if (w) {
      await expect(page.getByRole('heading', { level: 2, name: w.title })).toBeVisible();
      const frames = new Set(w.frames);
      // The step's first message is selected, in the ladder, and highlighted.
      const selected = page.locator('.ladder g.arrow.selected');
      await expect(selected).toHaveCount(1);
      await expect(selected).toHaveClass(/evidence/);
      expect(frameOf(await selected.getAttribute('aria-label'))).toBe(Math.min(...w.frames));
      // Every highlighted arrow on screen is one of the step's frames.
      const marked = (await evidenceFrames(page)).map(frameOf);
      expect(marked.length).toBeGreaterThan(0);
      for (const f of marked) expect(frames.has(f)).toBe(true);
      // And each of the step's frames has its own highlighted arrow (the chips bring it into view).
      for (const f of w.frames) {
        await page.getByRole('button', { name: new RegExp(`^Show frame ${f}:`) }).click();
        const arrow = page.locator('.ladder g.arrow.selected');
        await expect(arrow).toHaveAttribute('aria-label', new RegExp(`^frame ${f},`));
        await expect(arrow).toHaveClass(/evidence/);
      }
      if (i === 4) await page.screenshot({ path: path.join(shots, 'walkthrough-step.png') });
    } else if (i === 0 || i === total - 1) {
      expect(await evidenceFrames(page)).toEqual([]);
    }
    if (i < total - 1) await page.getByRole('button', { name: 'Next step' }).click();
  }
  await expect(page.getByRole('button', { name: 'Next step' })).toHaveCount(0);
  // Back goes one step back, Next forward again.
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(counter).toHaveText(`Step ${total - 1} of ${total}`);
  await page.getByRole('button', { name: 'Next step' }).click();
  await page.getByRole('button', { name: 'Finish walkthrough' }).click();
  await expect(page.getByRole('heading', { name: 'Walkthrough completed' })).toBeVisible();

  await page.getByRole('button', { name: 'Back to the library' }).click();
  await expect(card(page, missingAck.id).getByTestId('sample-progress')).toContainText('✓ Walkthrough completed');
  await page.reload();
  await expect(card(page, missingAck.id).getByTestId('sample-progress')).toContainText('✓ Walkthrough completed');
  await expect(page.getByTestId('training-total')).toContainText(`1 of ${manifests.length} walkthroughs completed`);
});

test('quiz: overlays hidden until checked; one wrong and one right answer, remembered after a reload', async ({ page }) => {
  const q = missingAck.quiz;
  await page.goto('/#/training');
  await card(page, missingAck.id).getByRole('button', { name: 'Take the quiz' }).click();
  await waitIdle(page);
  await expect(page.getByRole('heading', { name: `Quiz: ${q.question}` })).toBeFocused();
  await expect(page.locator('.ladder g.arrow').first()).toBeVisible();

  // While quizzing nothing names the finding: no badges, no ghost arrows, no findings tab.
  await expect(page.getByRole('checkbox', { name: 'Findings' })).not.toBeChecked();
  await expect(page.getByTestId('finding-badge')).toHaveCount(0);
  await expect(page.getByTestId('ghost-arrow')).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Findings' })).toBeHidden();

  const group = page.getByRole('radiogroup', { name: `Quiz: ${q.question}` });
  await expect(group.getByRole('radio')).toHaveCount(1 + q.distractors.length);
  const order = await group.getByRole('radio').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  expect([...order].sort()).toEqual([q.answer, ...q.distractors].sort());
  await page.screenshot({ path: path.join(shots, 'quiz.png') });

  // Wrong first.
  await page.getByRole('button', { name: 'Check answer' }).click();
  await expect(page.getByRole('alert')).toHaveText('Pick one answer first.');
  await group.getByRole('radio', { name: kindWords(q.distractors[0]!) }).check();
  await page.getByRole('button', { name: 'Check answer' }).click();
  const feedback = page.getByTestId('quiz-feedback');
  await expect(feedback).toHaveAttribute('data-result', 'wrong');
  await expect(feedback.getByRole('status')).toHaveText(`Not quite: you chose “${kindWords(q.distractors[0]!)}”. The answer is: ${kindWords(q.answer)}.`);
  await expect(feedback).toBeFocused();
  // Revealed: overlays back, the engine's finding of that kind listed.
  await expect(page.getByRole('checkbox', { name: 'Findings' })).toBeChecked();
  await expect(page.getByTestId('finding-badge').first()).toBeVisible();
  await expect(feedback.locator('li.is-answer').first()).toContainText(q.answer);
  await page.screenshot({ path: path.join(shots, 'quiz-wrong.png') });

  // Then right.
  await page.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('finding-badge')).toHaveCount(0);
  await group.getByRole('radio', { name: kindWords(q.answer) }).check();
  await page.getByRole('button', { name: 'Check answer' }).click();
  await expect(feedback).toHaveAttribute('data-result', 'right');
  await expect(feedback.getByRole('status')).toHaveText(`Right: ${kindWords(q.answer)}.`);

  // Esc goes back to the library, which shows the record.
  await page.locator('.training-bar').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Escape');
  const progress = card(page, missingAck.id).getByTestId('sample-progress');
  await expect(progress).toContainText('Quiz: last answer right (1 of 2 right)');
  // Leaving the quiz restored the overlays the user had.
  await page.getByRole('button', { name: 'Back to the capture' }).click();
  await expect(page.getByRole('checkbox', { name: 'Findings' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'Ghost arrows' })).toBeChecked();
  await expect(page.getByRole('tab', { name: 'Findings' })).toBeVisible();
  // And a reload remembers the answers.
  await page.reload();
  await page.getByRole('banner').getByRole('link', { name: 'Training library' }).click();
  await expect(progress).toContainText('Quiz: last answer right (1 of 2 right)');
  await expect(page.getByTestId('training-total')).toContainText('1 quiz answered right');
});
