// First contact: what a newcomer sees without clicking anything, where the
// controls are, and what a return visit, reduced motion and a phone change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, newPage, url, screenshots } from './harness.mjs';

/// A browser that has never seen monscope.
async function fresh(options = {}) {
  return launch({ firstVisit: true, ...options });
}

const inViewport = async (page, testid) => {
  const box = await page.getByTestId(testid).first().boundingBox();
  const vp = page.viewportSize();
  assert.ok(box, `${testid} is not shown`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= vp.width && box.y + box.height <= vp.height,
    `${testid} is at ${JSON.stringify(box)}, outside the first ${vp.width}×${vp.height} screen`);
};

test('with no click at all, a first visit shows a leader and a committed value within 10 s', async () => {
  const browser = await fresh({ viewport: { width: 1440, height: 900 } });
  try {
    const page = await newPage(browser.context);
    // What a first view never runs is in a module of its own (src/lazy.rs).
    const lazy = [];
    page.on('request', (r) => r.url().includes('_lazy.wasm') && lazy.push(r.url()));
    const start = Date.now();
    await page.goto(url);
    // The newest monitor state the ring shows: a leader (with its crown) that
    // has committed at least one value.
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid^="mon-"][data-state="leader"]')].some((m) => Number(m.getAttribute('data-lc')) >= 1),
      null,
      { timeout: 10_000, polling: 100 },
    );
    const took = (Date.now() - start) / 1000;
    console.log(`first visit: a leader with a committed value after ${took.toFixed(1)} s of wall time`);
    assert.equal(await page.locator('[data-testid^="crown-"]').count(), 1);
    await page.screenshot({ path: join(screenshots, 'first-visit.png') });
    // It played by itself, and offers the tour.
    assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Pause');
    await page.getByTestId('tour-offer').waitFor();
    assert.equal(await page.getByTestId('play-overlay').count(), 0, 'the play overlay covers a playing ring');
    assert.deepEqual(page.errors, []);
    assert.deepEqual(lazy, [], 'a first view fetched the lazy module');
    // Remembered: the next visit neither plays by itself nor offers the tour again.
    await page.reload();
    await page.getByTestId('cluster').waitFor();
    await page.waitForTimeout(800);
    assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Play');
    assert.equal(await page.getByTestId('tour-offer').count(), 0);
    await page.getByTestId('play-overlay').waitFor();
    // A returning visit shows the stored session of the default scenario:
    // it runs no other text, so it fetches nothing more either.
    assert.deepEqual(lazy, [], 'a returning visit fetched the lazy module');
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await browser.close();
  }
});

test('taking the offered tour starts it at the description; declining hides the offer', async () => {
  const browser = await fresh();
  try {
    const page = await newPage(browser.context);
    await page.goto(url);
    await page.getByTestId('tour-offer').waitFor();
    await page.getByTestId('tour-start').click();
    await page.getByTestId('tour').waitFor();
    // At the start, paused (the default scenario's first note is at its start).
    assert.equal(await page.getByTestId('clock').getAttribute('data-t'), '0');
    assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Play');
    assert.equal(await page.getByTestId('tour-offer').count(), 0);
    await page.close();
  } finally {
    await browser.close();
  }
  const other = await fresh();
  try {
    const page = await newPage(other.context);
    await page.goto(url);
    await page.getByTestId('tour-offer-dismiss').click();
    assert.equal(await page.getByTestId('tour-offer').count(), 0);
    await page.getByTestId('tour-start').waitFor();
    await page.close();
  } finally {
    await other.close();
  }
});

test('the ring and the playback controls are in the first screen at 1440×900 and 390×844', async () => {
  for (const viewport of [{ width: 1440, height: 900 }, { width: 390, height: 844 }]) {
    const browser = await fresh({ viewport });
    try {
      const page = await newPage(browser.context);
      await page.goto(url);
      await page.getByTestId('tour-offer').waitFor();
      for (const id of ['cluster', 'play', 'scrubber', 'speed', 'step-prev', 'step-next', 'to-start', 'clock']) {
        await inViewport(page, id);
      }
      // The ring takes what the first screen leaves: most of its height, or its width on a phone.
      const ring = await page.getByTestId('cluster').boundingBox();
      const side = Math.min(ring.width, ring.height);
      assert.ok(side >= 0.55 * Math.min(viewport.height, viewport.width * 1.2), `the ring is ${side}px in ${viewport.width}×${viewport.height}`);
      // Pressing play does not scroll the ring away.
      await page.getByTestId('play').click();
      await page.getByTestId('play').click();
      await inViewport(page, 'cluster');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= viewport.width, `the page is ${width}px wide`);
      await page.screenshot({ path: join(screenshots, `first-screen-${viewport.width}.png`) });
      assert.deepEqual(page.errors, []);
      await page.close();
    } finally {
      await browser.close();
    }
  }
});

test('a first visit under reduced motion does not play; the ▶ over the ring does, and messages are arrows', async () => {
  const browser = await fresh({ reducedMotion: 'reduce' });
  try {
    const page = await newPage(browser.context);
    await page.goto(url);
    await page.getByTestId('cluster').waitFor();
    await page.waitForTimeout(800);
    assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Play');
    assert.equal(await page.getByTestId('clock').getAttribute('data-t'), '0');
    await page.getByTestId('play-overlay').click();
    await page.getByTestId('play-overlay').waitFor({ state: 'detached' });
    await page.locator('[data-testid=msg] line').first().waitFor();
    assert.equal(await page.locator('[data-testid=msg] circle').count(), 0, 'a message flies as a dot');
    await page.screenshot({ path: join(screenshots, 'reduced-motion.png') });
    // Paused in the middle of the run, the ▶ does not cover the labels the reader paused for.
    await page.getByTestId('play').click();
    assert.equal(await page.getByTestId('play').getAttribute('aria-label'), 'Play');
    assert.notEqual(await page.getByTestId('clock').getAttribute('data-t'), '0');
    assert.equal(await page.getByTestId('play-overlay').count(), 0, 'the ▶ covers a paused run');
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await browser.close();
  }
});

test('on a phone every control is a 44 px target and the monitors are readable', async () => {
  const browser = await launch({ viewport: { width: 390, height: 844 }, hasTouch: true });
  try {
    const page = await newPage(browser.context);
    await page.goto(url);
    await page.getByTestId('cluster').waitFor();
    await page.getByTestId('mon-a').click();
    const small = await page.evaluate(() => {
      const out = [];
      const targets = document.querySelectorAll('button, select, input:not([type=checkbox]), a[href], label:has(> input[type=checkbox])');
      for (const el of targets) {
        const b = el.getBoundingClientRect();
        if (b.width === 0 || b.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
        if (el.closest('details:not([open])')) continue;
        const min = el.matches('button, a') ? Math.min(b.width, b.height) : b.height;
        if (min < 44) out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${b.width.toFixed(0)}×${b.height.toFixed(0)}`);
      }
      return out;
    });
    assert.deepEqual(small, [], 'tap targets under 44 px');
    // A monitor's name and state are drawn at least 11 px tall.
    for (const cls of ['mon-name', 'mon-state']) {
      const px = await page.locator(`[data-testid=mon-a] .${cls}`).evaluate((t) => {
        const svg = t.ownerSVGElement;
        const scale = svg.getBoundingClientRect().height / svg.viewBox.baseVal.height;
        return parseFloat(getComputedStyle(t).fontSize) * scale;
      });
      assert.ok(px >= 11, `${cls} is ${px.toFixed(1)} px`);
    }
    await page.screenshot({ path: join(screenshots, 'phone-targets.png') });
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await browser.close();
  }
});
