// What the reader sees: contrast of the rendered colours in both themes, the
// dark theme (the system's, and the ◐ toggle), the protocol filter, messages
// fanned out on a shared link, labels clear of the monitors' words, and the
// ring growing with the viewport.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, newPage, seek, cli, root, url, screenshots } from './harness.mjs';

let browser;
before(async () => {
  browser = await launch({ viewport: { width: 1440, height: 900 } });
});
after(async () => {
  await browser?.close();
});

async function open(path, { colorScheme = 'light', viewport } = {}) {
  const page = await newPage(browser.context, viewport);
  await page.emulateMedia({ colorScheme });
  await page.goto(new URL(path, url).href);
  await page.locator('[data-testid=cluster], [data-testid=embed]').first().waitFor({ timeout: 60_000 });
  return page;
}


/// Every text against what it sits on (at least 4.5:1) and every graphic
/// that carries meaning against its background (at least 3:1), from the
/// colours the browser computed. Returns the failures.
function contrastFailures() {
  const parse = (c) => {
    if (!c || c === 'none' || c.startsWith('url')) return null;
    let m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
    if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
    m = c.match(/color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?\)/);
    if (m) return [m[1] * 255, m[2] * 255, m[3] * 255, m[4] === undefined ? 1 : +m[4]];
    return null;
  };
  const lum = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (fg, bg) => fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const cs = (el) => getComputedStyle(el);
  // The first opaque background behind an HTML element.
  const backdrop = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(cs(e).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return parse(cs(document.documentElement).backgroundColor) ?? [255, 255, 255, 1];
  };
  const shown = (el) => {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = cs(e);
      if (s.visibility === 'hidden' || s.display === 'none' || parseFloat(s.opacity) < 1) return false;
      if (e.matches?.('.sr-only, :disabled, .dropped')) return false;
    }
    return true;
  };
  const out = [];
  const name = (el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${(el.textContent || '').trim().slice(0, 24)}"`;
  const check = (el, fg, bg, min, what) => {
    if (!fg || !bg) return;
    const r = ratio(over(fg, bg), bg);
    if (r < min) out.push(`${what} ${name(el)}: ${r.toFixed(2)}:1`);
  };
  // HTML text.
  for (const el of document.querySelectorAll('body *:not(svg *)')) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (el.closest('svg') || !shown(el)) continue;
    const bg = backdrop(el);
    check(el, parse(cs(el).color), bg, 4.5, 'text');
  }
  // SVG text: on its monitor, its client box, its halo, or the panel.
  for (const el of document.querySelectorAll('svg text')) {
    if (!shown(el) || !el.textContent.trim()) continue;
    const fg = parse(cs(el).fill);
    if (el.closest('.mon')) check(el, fg, parse(cs(el.closest('.mon').querySelector('.mon-body')).fill), 4.5, 'text');
    else if (el.closest('.client')) check(el, fg, parse(cs(el.closest('.client').querySelector('rect')).fill), 4.5, 'text');
    else if (el.matches('.msg-label')) {
      check(el, fg, parse(cs(el).stroke), 4.5, 'text');
      check(el, fg, parse(cs(document.querySelector('.cluster .bg')).fill), 4.5, 'text');
      const q = document.querySelector('.quorum');
      if (q) check(el, fg, parse(cs(q).fill), 4.5, 'text on the quorum');
    } else if (el.matches('.mark, .drop-x, .cut-mark')) {
      // Glyphs are graphics: their fill or their outline.
      const bg = el.closest('.cluster') ? parse(cs(document.querySelector('.cluster .bg')).fill) : backdrop(el.ownerSVGElement);
      const best = Math.max(...[cs(el).fill, cs(el).stroke].map(parse).filter(Boolean).map((c) => ratio(over(c, bg), bg)));
      if (best < 3) out.push(`graphic ${name(el)}: ${best.toFixed(2)}:1`);
    } else check(el, fg, backdrop(el.ownerSVGElement), 4.5, 'text');
  }
  // Graphics that carry meaning: messages, monitors, leases, links, arrows.
  const stage = document.querySelector('.cluster .bg');
  const stageBg = stage && parse(cs(stage).fill);
  const quorum = document.querySelector('.quorum');
  const graphic = (el, bgs) => {
    if (!shown(el)) return;
    // A line is only its stroke; a shape its fill or its outline.
    const paints = (el.tagName === 'line' ? [cs(el).stroke] : [cs(el).fill, cs(el).stroke]).map(parse).filter(Boolean);
    for (const bg of bgs.filter(Boolean)) {
      const best = Math.max(...paints.map((c) => ratio(over(c, bg), bg)));
      if (best < 3) out.push(`graphic ${name(el)}: ${best.toFixed(2)}:1`);
    }
  };
  for (const el of document.querySelectorAll('.msg circle, .msg line')) graphic(el, [stageBg, quorum && parse(cs(quorum).fill)]);
  for (const el of document.querySelectorAll('.mon-body, .lease, .link, .crown')) graphic(el, [stageBg]);
  for (const el of document.querySelectorAll('.arrow line')) graphic(el, [backdrop(el.ownerSVGElement)]);
  for (const el of document.querySelectorAll('.chip .dot')) {
    const bg = backdrop(el.parentElement);
    const c = parse(cs(el).borderTopColor);
    if (c && ratio(over(c, bg), bg) < 3) out.push(`graphic ${name(el.parentElement)} dot: ${ratio(over(c, bg), bg).toFixed(2)}:1`);
  }
  return out;
}

/// A busy moment of the failover: a monitor down, two electing, messages of
/// every protocol shown, a message and a monitor selected.
async function busy(page) {
  await page.getByTestId('filter-ping').click();
  await page.getByTestId('filter-timecheck').click();
  await seek(page, 40_030_000);
  await page.getByTestId('mon-b').click();
}

for (const theme of ['light', 'dark']) {
  test(`text is at least 4.5:1 and graphics 3:1 in the ${theme} theme (rendered colours)`, async () => {
    const page = await open('?scenario=leader-failover', { colorScheme: theme });
    await busy(page);
    // The page is in the theme asked for: its background is the theme's.
    const page_bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(page_bg, theme === 'dark' ? 'rgb(21, 25, 31)' : 'rgb(244, 245, 247)');
    const failures = [];
    failures.push(...(await page.evaluate(contrastFailures)));
    // And where the cluster is calm: leader, peons, quorum, leases.
    await seek(page, 25_000_000);
    failures.push(...(await page.evaluate(contrastFailures)));
    // A synchronizing monitor: when the CLI's trace has one.
    const sync = cli('run', join(root, 'scenarios', 'full-sync-after-trim.mon'), '--json')
      .split('\n')
      .filter((l) => l.includes('"type":"status"') && l.includes('"state":"Synchronizing"'))
      .map((l) => JSON.parse(l).at)[0];
    assert.ok(sync !== undefined, 'no monitor synchronizes in full-sync-after-trim');
    await page.goto(new URL('?scenario=full-sync-after-trim', url).href);
    await page.getByTestId('cluster').waitFor();
    await seek(page, Math.ceil(sync / 1000) * 1000);
    await page.locator('[data-state=synchronizing]').first().waitFor();
    failures.push(...(await page.evaluate(contrastFailures)));
    await page.screenshot({ path: join(screenshots, `contrast-${theme}.png`) });
    assert.deepEqual([...new Set(failures)], [], `contrast below the minimum in the ${theme} theme`);
    // The check sees what it should: faded words and dots are caught.
    await page.addStyleTag({ content: '.mon-state { fill: #777 !important } .tagline { color: var(--bg) !important } .link { stroke: var(--stage) !important }' });
    const caught = (await page.evaluate(contrastFailures)).join('\n');
    for (const what of ['text.mon-state', 'p.tagline', 'line.link']) assert.ok(caught.includes(what), `the check missed ${what}`);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test("the embed's dark theme: quorum shading under labels, controls and note", async () => {
  for (const theme of ['dark', 'light']) {
    const page = await open(`?embed=1&scenario=five-mons-start&t=0.02&theme=${theme}`, { viewport: { width: 640, height: 440 } });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
    const failures = await page.evaluate(contrastFailures);
    await page.screenshot({ path: join(screenshots, `embed-contrast-${theme}.png`) });
    assert.deepEqual(failures, [], `the ${theme} embed`);
    await page.close();
  }
});

test('the playground follows the system preference, and the ◐ toggle wins and is remembered', async () => {
  const page = await open('', { colorScheme: 'dark' });
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const dark = await bg();
  assert.equal(dark, 'rgb(21, 25, 31)', 'the system asks for dark, the page is not');
  assert.equal(await page.getByTestId('theme').getAttribute('aria-pressed'), 'true');
  await page.screenshot({ path: join(screenshots, 'dark-system.png') });
  await page.getByTestId('theme').click();
  assert.equal(await page.getByTestId('theme').getAttribute('aria-pressed'), 'false');
  assert.notEqual(await bg(), dark);
  await page.reload();
  await page.getByTestId('cluster').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light', 'the choice was not remembered');
  assert.notEqual(await bg(), dark);
  await page.getByTestId('theme').click();
  assert.equal(await bg(), dark);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('pings and time checks are hidden on the ring by default, counted, and can be shown', async () => {
  const page = await open('?scenario=leader-failover');
  await seek(page, 25_000_000);
  const protos = () => page.locator('[data-testid=msg]').evaluateAll((els) => els.map((e) => e.getAttribute('data-proto')));
  // Find a moment with periodic traffic in the air.
  for (let t = 20_500_000; Number(await page.getByTestId('cluster').getAttribute('data-hidden')) === 0; t += 50_000) {
    assert.ok(t < 40_000_000, 'no ping or time check in the air');
    await seek(page, t);
  }
  const hidden = Number(await page.getByTestId('cluster').getAttribute('data-hidden'));
  const drawn = Number(await page.getByTestId('cluster').getAttribute('data-in-flight'));
  assert.ok(!(await protos()).some((p) => p === 'ping' || p === 'timecheck'), 'a hidden protocol is drawn');
  assert.match(await page.getByTestId('hidden-count').innerText(), new RegExp(`^${hidden} hidden in flight$`));
  assert.equal(await page.getByTestId('filter-ping').getAttribute('aria-pressed'), 'false');
  await page.getByTestId('filter-ping').click();
  await page.getByTestId('filter-timecheck').click();
  assert.equal(await page.getByTestId('cluster').getAttribute('data-hidden'), '0');
  assert.equal(Number(await page.getByTestId('cluster').getAttribute('data-in-flight')), drawn + hidden, 'shown, still not drawn');
  // The timeline follows the same filter.
  // Its arrows are SVG elements, or, over a thousand in the window, lines on a canvas that
  // names the protocols it drew.
  const tl = async () => [
    ...(await page.locator('[data-testid=tl-msg]').evaluateAll((els) => els.map((e) => e.getAttribute('class')))),
    ...(await page.getByTestId('timeline-canvas').evaluateAll((els) => els.flatMap((e) => e.getAttribute('data-protos').split(' ').map((p) => `p-${p}`)))),
  ];
  assert.ok((await tl()).some((c) => /p-(ping|timecheck)/.test(c)));
  await page.getByTestId('filter-ping').click();
  await page.getByTestId('filter-timecheck').click();
  assert.ok(!(await tl()).some((c) => /p-(ping|timecheck)/.test(c)));
  assert.deepEqual(page.errors, []);
  await page.close();
});

/// The boxes of the messages' dots and labels, and of the monitors' words.
const boxes = (page) =>
  page.evaluate(() => {
    const box = (e) => {
      const b = e.getBoundingClientRect();
      return { x: b.x, y: b.y, w: b.width, h: b.height, what: e.closest('[data-op]')?.getAttribute('data-op') ?? e.textContent };
    };
    return {
      dots: [...document.querySelectorAll('[data-testid=msg] circle')].map(box),
      labels: [...document.querySelectorAll('.msg-label')].map(box),
      words: [...document.querySelectorAll('.mon-name, .mon-state, .mon-meta')].map(box),
    };
  });
const overlaps = (a, b, slack = 1) => a.x + slack < b.x + b.w && b.x + slack < a.x + a.w && a.y + slack < b.y + b.h && b.y + slack < a.y + a.h;

test('messages sharing a link and a moment fan out; labels never cover a monitor’s words', async () => {
  const page = await open('');
  // Step through the start-up, where messages go both ways on every link at once.
  let frames = 0;
  let shared = 0;
  for (let t = 0; t <= 60_000; t += 1_000) {
    await seek(page, t);
    const { dots, labels, words } = await boxes(page);
    frames += 1;
    for (let i = 0; i < dots.length; i++) {
      for (let j = i + 1; j < dots.length; j++) {
        const [a, b] = [dots[i], dots[j]];
        const d = Math.hypot(a.x - b.x, a.y - b.y);
        assert.ok(d >= a.w * 0.9, `at ${t} µs two dots (${a.what}, ${b.what}) are ${d.toFixed(1)} px apart`);
        if (d < 40) shared += 1;
      }
    }
    for (const l of labels) {
      for (const w of words) assert.ok(!overlaps(l, w), `at ${t} µs the label ${l.what} covers "${w.what}"`);
      for (const o of labels) if (o !== l) assert.ok(!overlaps(l, o, 2), `at ${t} µs labels ${l.what} and ${o.what} overlap`);
    }
  }
  assert.ok(shared > 0, 'no two messages were ever near each other: nothing was tested');
  console.log(`${frames} moments, ${shared} pairs of messages side by side`);
  // Seven monitors, with every protocol shown: the names stay readable.
  await page.getByTestId('editor').fill('mons a b c d e f g\nseed 4\nat 6s cut a c\nat 7s kill g\nend 20s\n');
  await page.getByTestId('mon-g').waitFor();
  await page.getByTestId('filter-ping').click();
  for (const t of [12_000, 5_503_000, 9_000_000]) {
    await seek(page, t);
    const { labels, words } = await boxes(page);
    for (const l of labels) for (const w of words) assert.ok(!overlaps(l, w), `seven monitors at ${t} µs: the label ${l.what} covers "${w.what}"`);
  }
  await page.screenshot({ path: join(screenshots, 'seven-legible.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the ring grows with the viewport', async () => {
  const sizes = [];
  for (const viewport of [{ width: 1024, height: 700 }, { width: 1440, height: 900 }, { width: 1920, height: 1200 }]) {
    const page = await open('', { viewport });
    const b = await page.getByTestId('cluster').boundingBox();
    const ring = await page.locator('[data-testid=mon-a] .mon-body').boundingBox();
    sizes.push(ring.width);
    assert.ok(b.y + b.height <= viewport.height, `the ring ends below the first screen at ${viewport.width}×${viewport.height}`);
    await page.close();
  }
  assert.ok(sizes[0] < sizes[1] && sizes[1] < sizes[2], `monitor sizes ${sizes.map((s) => s.toFixed(0)).join(', ')} px`);
});

/// Each monitor's words against its circle: a word that leaves it is white
/// on the light stage, unreadable (src/word_fit.rs squeezes it in).
const wordsOutside = (page) =>
  page.evaluate(() => {
    const out = [];
    for (const mon of document.querySelectorAll('[data-testid^=mon-]')) {
      const body = mon.querySelector('.mon-body')?.getBoundingClientRect();
      if (!body) continue;
      for (const w of mon.querySelectorAll('.mon-name, .mon-state, .mon-meta')) {
        const b = w.getBoundingClientRect();
        if (b.left < body.left - 0.5 || b.right > body.right + 0.5) {
          out.push(`${mon.dataset.testid} "${w.textContent}" ${b.width.toFixed(0)} px in ${body.width.toFixed(0)} px`);
        }
      }
    }
    return out;
  });

test("a monitor's name and state stay inside its circle: fifteen monitors, and synchronizing", async () => {
  const page = await open('');
  // Fifteen: probing at the start, then a leader and peons.
  await page.getByTestId('editor').fill('mons a b c d e f g h i j k l m n o\nat 20s write k v\nend 30s\n');
  await page.getByTestId('mon-o').waitFor();
  for (const [t, state] of [[1_000, 'probing'], [25_000_000, 'peon']]) {
    await seek(page, t);
    assert.equal(await page.getByTestId('mon-b').getAttribute('data-state'), state);
    assert.deepEqual(await wordsOutside(page), [], `at ${t} µs`);
  }
  // Five, one synchronizing after a wipe (thirty versions behind).
  let text = 'mons a b c d e\nat 5s kill e\nat 6s wipe e\n';
  for (let s = 10; s <= 40; s++) text += `at ${s}s write k${s} v\n`;
  await page.getByTestId('editor').fill(`${text}at 50s revive e\nend 60s\n`);
  await page.locator('[data-testid=mon-e][data-state=down]').waitFor();
  await seek(page, 50_008_000);
  assert.equal(await page.getByTestId('mon-e').getAttribute('data-state'), 'synchronizing');
  assert.deepEqual(await wordsOutside(page), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});
