// Tour mode: Next plays to the next note and pauses there, Back seeks back;
// the reader can leave the tour, experiment, and return.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, newPage, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// Seed 2 (`monscope run`): a leads from 5.11 s (after the creation sequence);
// killed at 10 s, b and c stay peons until their lease runs out at 18.15 s.
const NOTES = [
  [8, 'First: a has been leader for a while.'],
  [10, 'Second: a is killed now.'],
  [12, 'Third: b and c still wait for the lease to run out.'],
  [14, 'Fourth: nothing yet.'],
];
/// Waits until the editor's text passes `ok` (a string it equals, or a
/// RegExp): the page sets the editor's text in an effect of the render, which
/// on a slow machine runs a task after the rendered view (yew yields after a
/// 16 ms render, before its effects).
async function editorShows(page, ok) {
  await page.waitForFunction(
    ([src, flags, text]) => {
      const v = document.querySelector('[data-testid=editor]').value;
      return src === null ? v === text : new RegExp(src, flags).test(v);
    },
    ok instanceof RegExp ? [ok.source, ok.flags, null] : [null, '', ok],
  );
}

/// Opens the page once its stored session is read (the disk panel saving):
/// these tests type a scenario of their own, and a reader's typing while
/// the session is being read is store.test.mjs's case, not theirs.
async function opened(page) {
  await page.goto(url);
  await page.locator('[data-testid=disk][data-saving=true]').waitFor({ timeout: 30_000 });
}

/// Waits for the header to name `title` (the edited scenario running); if it
/// does not, says what the page shows instead.
async function titled(page, title) {
  try {
    await page.locator('.tagline').filter({ hasText: new RegExp(`^${title}$`) }).waitFor();
  } catch (e) {
    const seen = await page.evaluate(() => ({
      tagline: document.querySelector('.tagline')?.textContent,
      editor: document.querySelector('[data-testid=editor]')?.value?.slice(0, 80),
      notices: [...document.querySelectorAll('[data-testid=storage-notice]')].map((n) => n.textContent),
      error: document.getElementById('scenario-error')?.textContent,
    }));
    throw new Error(`the header never named "${title}": ${JSON.stringify(seen)}`, { cause: e });
  }
}

const TEXT =
  'title "tour"\ndescribe "A four-stop tour."\nmons a b c\nseed 2\n' +
  NOTES.map(([t, n]) => `at ${t}s note "${n}"`).join('\n').replace('at 10s note', 'at 10s kill a\nat 10s note') +
  '\nend 20s\n';

test('tour: three notes forward, two back, leave, experiment and return', async () => {
  const page = await newPage(browser.context);
  await opened(page);
  await page.getByTestId('editor').fill(TEXT);
  // The edited scenario is the one running (its title in the header) before
  // the tour starts: under load the rebuild may lag the fill.
  await titled(page, 'tour');
  await page.getByTestId('tour-start').waitFor();
  await page.getByTestId('speed').selectOption('10');
  const clock = async () => Number(await page.getByTestId('clock').getAttribute('data-t'));
  const at = async (step) => {
    await page.locator(`[data-testid=tour][data-step="${step}"]`).waitFor({ timeout: 30_000 });
    await page.getByTestId('play').and(page.locator('[aria-label=Play]')).waitFor();
  };

  await page.getByTestId('tour-start').click();
  await at(0);
  assert.equal(await page.getByTestId('tour-caption').innerText(), 'A four-stop tour.');
  for (const step of [1, 2, 3]) {
    await page.getByTestId('tour-next').click();
    await at(step);
    // Paused exactly at the note.
    assert.equal(await clock(), NOTES[step - 1][0] * 1e6);
    assert.equal(await page.getByTestId('tour-caption').innerText(), NOTES[step - 1][1]);
    assert.equal(await page.getByTestId('tour-step').innerText(), `${step} / 4`);
  }
  assert.equal(await page.getByTestId('mon-a').getAttribute('data-state'), 'down');
  for (const step of [2, 1]) {
    await page.getByTestId('tour-back').click();
    await at(step);
    assert.equal(await clock(), NOTES[step - 1][0] * 1e6);
  }
  assert.equal(await page.getByTestId('tour-caption').innerText(), NOTES[0][1]);
  // Back really went back: a is running again.
  assert.equal(await page.getByTestId('mon-a').getAttribute('data-state'), 'leader');
  await page.screenshot({ path: join(screenshots, 'tour.png') });

  // Leave, break something (kill b at 8s) and play; then return.
  await page.getByTestId('tour-leave').click();
  await page.getByTestId('tour').waitFor({ state: 'detached' });
  await page.getByTestId('mon-b').click();
  await page.getByTestId('action-kill').click();
  await editorShows(page, /at 8s kill b/);
  await page.getByTestId('play').click();
  await page.waitForTimeout(400);
  await page.getByTestId('tour-return').click();
  await at(1);
  assert.equal(await clock(), 8e6);
  await editorShows(page, TEXT);
  assert.equal(await page.getByTestId('tour-caption').innerText(), NOTES[0][1]);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("tour: acting on the cluster leaves the tour's script, and it says so; a note's Ceph detail is code", async () => {
  const page = await newPage(browser.context);
  await opened(page);
  const text =
    'title "script"\nmons a b c\nseed 2\n' +
    'at 6s note "a leads; its peons hold a lease (`Paxos::extend_lease`). `<b>not bold</b>`"\n' +
    'at 8s note "Nothing else happens."\nend 12s\n';
  await page.getByTestId('editor').fill(text);
  await titled(page, 'script');
  await page.getByTestId('tour-start').waitFor();
  await page.getByTestId('tour-start').click();
  await page.getByTestId('speed').selectOption('10');
  await page.getByTestId('tour-next').click();
  await page.locator('[data-testid=tour][data-step="1"]').waitFor({ timeout: 30_000 });
  const caption = page.getByTestId('tour-caption');
  assert.deepEqual(await caption.locator('code').allInnerTexts(), ['Paxos::extend_lease', '<b>not bold</b>']);
  assert.equal(await caption.locator('b').count(), 0, 'a note became markup');
  assert.equal(await page.getByTestId('tour').getAttribute('data-off-script'), 'false');
  // Killing b while in the tour: the notes no longer tell what is shown.
  await page.getByTestId('mon-b').click();
  await page.getByTestId('action-kill').click();
  await page.getByTestId('tour-off-script').waitFor();
  assert.match(await page.getByTestId('tour-off-script').innerText(), /left the tour's script/);
  await page.screenshot({ path: join(screenshots, 'tour-off-script.png') });
  // Back to the script: its text and this step again.
  await page.getByTestId('tour-rescript').click();
  await page.getByTestId('tour-off-script').waitFor({ state: 'detached' });
  await editorShows(page, text);
  assert.equal(await page.getByTestId('clock').getAttribute('data-t'), '6000000');
  // The narration (for screen readers) has the note as plain words.
  assert.match(await page.getByTestId('narration').textContent(), /Paxos::extend_lease/);
  assert.deepEqual(page.errors, []);
  await page.close();
});
