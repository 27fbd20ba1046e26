/**
 * The operations console in a real browser (Chromium through playwright-core)
 * against the service as a process: the page refuses without an operator
 * token, a flow made through the API shows up in the area's numbers and in
 * the order's timeline, and a dead-lettered event appears, is redriven with
 * a click and is delivered.
 *
 * With CONSOLE_SCREENSHOTS=<dir> it also saves a screenshot of each view
 * there, after a burst of traffic across three areas (docs/images holds the
 * committed ones: `CONSOLE_SCREENSHOTS=docs/images npm test -- console.browser`).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClient, type CodeDispatchClient } from '@codedispatch/client';
import { driver, type Driver } from '@codedispatch/core';
import { driverJwt, JWT_SECRET, SERVICE_TOKEN } from './__tests__/harness';
import { exited, freePort, spawnService, untilReady, waitFor } from './__tests__/service-process';
import { WebhookReceiver } from './__tests__/webhook-receiver';

const CHROMIUM = '/usr/bin/chromium';
const OPERATOR_TOKEN = 'operator-token-for-browser-test';
const WEBHOOK_SECRET = 'webhook-secret-for-browser-test';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;

/** CI installs Chromium (.ci/run); elsewhere, without it, the suite says so and skips. */
const withBrowser = existsSync(CHROMIUM) || process.env.CI === 'true' ? describe : describe.skip;

withBrowser('the operations console in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codedispatch-console-'));
  const receiver = new WebhookReceiver({ secret: WEBHOOK_SECRET, refuseWith: 500, accepting: true });
  let child: ChildProcess | null = null;
  let browser: Browser;
  let page: Page;
  let base = '';
  let orders: CodeDispatchClient;
  let processing: CodeDispatchClient;

  const asDriver = async (d: Driver): Promise<CodeDispatchClient> =>
    createClient({ baseUrl: base, auth: { kind: 'driver', jwt: await driverJwt(d) } });

  /** An order made, entered by `d` and looked up: pending → processing → assigned. */
  const assignedOrder = async (orderId: string, areaId: string, d: Driver): Promise<void> => {
    const created = await orders.orders.create({ order_id: orderId, area_id: areaId, locale: 'en' });
    await (await asDriver(d)).driver.enterCode({ area_id: areaId, code: created.code_display });
    await processing.processing.lookup(orderId);
  };

  /** An order whose code `d` entered; no lookup follows (the event is what matters). */
  const assignedOrderWithoutLookup = async (orderId: string, areaId: string, d: Driver): Promise<void> => {
    const created = await orders.orders.create({ order_id: orderId, area_id: areaId });
    await (await asDriver(d)).driver.enterCode({ area_id: areaId, code: created.code_display });
  };

  /** Signs in through the page's token form. */
  const signIn = async (token: string): Promise<void> => {
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('token-submit').click();
  };

  beforeAll(async () => {
    await receiver.start();
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'areas: {svo_d: {}, zenit: {}, vko: {generator: {length: 5}}}',
        'experiment: {enabled: true}',
        `auth: {service_tokens: {ordercommit: "${SERVICE_TOKEN}"}, operator_tokens: {alice: "${OPERATOR_TOKEN}"}, driver_jwt: {hs256_secret: "${JWT_SECRET}"}}`,
        'tracker: {kind: memory}',
        // Two attempts, then a dead letter: the events view has one to show within seconds.
        `processing_queue: {sink: webhook, webhook_url: "${receiver.url}", webhook_secret: "${WEBHOOK_SECRET}", max_attempts: 2}`,
      ].join('\n'),
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawnService({
      PORT: String(port),
      CODEDISPATCH_CONFIG: join(dir, 'config.yaml'),
      PGLITE_DATA_DIR: join(dir, 'pglite'),
      DATABASE_URL: '',
    });
    await untilReady(base);
    orders = createClient({ baseUrl: base, auth: { kind: 'service', token: SERVICE_TOKEN } });
    processing = orders;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (child !== null && child.exitCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for an operator token, refuses a wrong one and a service token, and keeps the right one for the tab only', async () => {
    await page.goto(`${base}/console/`);
    await page.getByTestId('token-form').waitFor();
    if (SCREENSHOTS !== undefined) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: resolve(SCREENSHOTS, 'console-sign-in.png') });
    }
    await signIn('not-a-token');
    await expect(page.getByTestId('auth-error').textContent()).resolves.toMatch(/401|not accepted|unauthori[sz]ed/i);
    await signIn(SERVICE_TOKEN);
    await expect(page.getByTestId('auth-error').textContent()).resolves.toMatch(/403|forbidden|not an operator/i);
    await signIn(OPERATOR_TOKEN);
    await page.getByTestId('area-card-svo_d').waitFor();
    // The tab keeps it (a reload signs in again by itself); nothing is kept in cookies.
    await page.reload();
    await page.getByTestId('area-card-svo_d').waitFor();
    expect(await page.context().cookies()).toEqual([]);
    // Another tab (a new context here) starts without it.
    const other = await browser.newPage();
    await other.goto(`${base}/console/`);
    await other.getByTestId('token-form').waitFor();
    await other.close();
  }, 60_000);

  it("shows a flow made through the API in the area's numbers and in the order's timeline", async () => {
    /** The figure an element shows (counts, and rates per minute such as `0.1`). */
    const number = async (testId: string): Promise<number> =>
      Number((await page.getByTestId(testId).textContent())?.match(/\d+(\.\d+)?/)?.[0]);
    await page.goto(`${base}/console/#/areas`);
    await page.getByTestId('area-card-zenit').waitFor();
    // Entries and assignments are shown per minute over the last 15 minutes: none yet in zenit.
    expect(await number('area-entries-zenit')).toBe(0);
    expect(await number('area-assignments-zenit')).toBe(0);

    await assignedOrder('browser-1', 'zenit', driver('park1', 'anna'));
    const pending = await orders.orders.create({ order_id: 'browser-2', area_id: 'zenit' });
    expect(pending.status).toBe('pending');

    // The areas view polls: within a few seconds the new figures are there.
    await waitFor(
      'the assignment in the zenit card',
      async () => ((await number('area-assignments-zenit')) > 0 ? true : undefined),
      20_000,
    );
    expect(await number('area-entries-zenit')).toBeGreaterThan(0);
    await waitFor(
      'one pending order in zenit',
      async () => ((await number('area-pending-zenit')) === 1 ? true : undefined),
      20_000,
    );

    await page.getByTestId('nav-order').click();
    await page.getByTestId('order-search-id').fill('browser-1');
    await page.getByTestId('order-search-submit').click();
    await page.getByTestId('timeline').waitFor();
    expect(await page.getByTestId('order-status').textContent()).toMatch(/assigned/);
    const entries = await page.getByTestId('timeline-entry').allTextContents();
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatch(/pending/);
    expect(entries[0]).toMatch(/ordercommit/);
    expect(entries[1]).toMatch(/processing/);
    expect(entries[1]).toMatch(/anna/);
    expect(entries[2]).toMatch(/assigned/);
    // Its event, delivered.
    expect(await page.getByTestId('order-events').textContent()).toMatch(/delivered/i);

    // Found by area and code too, while active.
    const code = pending.code_display;
    await page.getByTestId('order-search-area').fill('zenit');
    await page.getByTestId('order-search-code').fill(code);
    await page.getByTestId('order-search-code-submit').click();
    await page.getByText('browser-2').first().waitFor();
  }, 90_000);

  it('shows a dead letter, redrives it with a click, and the event is delivered', async () => {
    receiver.accepting = false;
    await assignedOrderWithoutLookup('browser-3', 'svo_d', driver('park1', 'boris'));
    await page.goto(`${base}/console/#/events`);
    const deadRow = page.locator('[data-testid^="dead-letter-"]');
    await waitFor(
      'the dead letter in the events view',
      async () => {
        await page.reload();
        await page.getByTestId('events-dead-count').waitFor();
        return (await deadRow.count()) === 1 ? true : undefined;
      },
      60_000,
    );
    const rowText = (await deadRow.first().textContent()) ?? '';
    expect(rowText).toMatch(/browser-3/);
    expect(rowText).toMatch(/500/);
    const eventId = ((await deadRow.first().getAttribute('data-testid')) ?? '').replace('dead-letter-', '');
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: resolve(SCREENSHOTS, 'console-events.png'), fullPage: true });

    receiver.accepting = true;
    await page.getByTestId(`redrive-${eventId}`).click();
    await waitFor('the row to go', async () => ((await deadRow.count()) === 0 ? true : undefined), 20_000);
    await waitFor(
      'the redriven event at the receiver',
      async () => (receiver.events.some((e) => e.body.event_id === eventId) ? true : undefined),
      30_000,
    );
    expect(receiver.events.find((e) => e.body.event_id === eventId)).toEqual({
      signed: true,
      body: expect.objectContaining({ order_id: 'browser-3' }),
    });
  }, 120_000);

  it('shows an areas answer slower than the 5 s poll, and does not pile up requests meanwhile', async () => {
    const page2 = await browser.newPage();
    try {
      await page2.goto(`${base}/console/`);
      await page2.getByTestId('token-input').fill(OPERATOR_TOKEN);
      let asked = 0;
      // Every areas answer held for 6 s, longer than the poll's 5 s.
      await page2.route('**/v1/ops/areas*', async (route) => {
        asked++;
        await new Promise((r) => setTimeout(r, 6_000));
        await route.continue();
      });
      await page2.getByTestId('token-submit').click();
      await page2.getByTestId('area-card-svo_d').waitFor({ timeout: 15_000 });
      expect(asked).toBe(1);
    } finally {
      await page2.close();
    }
  }, 60_000);

  it('shows the configuration in force and a refused reload with its issues', async () => {
    await page.goto(`${base}/console/#/config`);
    const version = (await page.getByTestId('config-version').textContent()) ?? '';
    expect(version).toMatch(/sha256:[0-9a-f]{16}/);
    expect(await page.getByTestId('config-origin').textContent()).toMatch(/config\.yaml/);
    // A document with a wrong key type: refused on SIGHUP, the last good one stays.
    const good = join(dir, 'config.yaml');
    const text = readFileSync(good, 'utf8');
    writeFileSync(good, text.replace('areas: {svo_d: {}', 'areas: {svo_d: {order_expire_s: -5}'));
    child?.kill('SIGHUP');
    await waitFor(
      'the refused reload on the page',
      async () => {
        await page.reload();
        const said = (await page.getByTestId('config-last-reload').textContent()) ?? '';
        return /refused/i.test(said) ? said : undefined;
      },
      20_000,
    ).then((said) => expect(said).toMatch(/areas\.svo_d\.order_expire_s/));
    expect(await page.getByTestId('config-version').textContent()).toBe(version);
    if (SCREENSHOTS !== undefined) await page.screenshot({ path: resolve(SCREENSHOTS, 'console-config.png'), fullPage: true });
    writeFileSync(good, text);
  }, 60_000);

  (SCREENSHOTS !== undefined ? describe : describe.skip)('with CONSOLE_SCREENSHOTS', () => {
    it('saves the areas and order views after a burst of traffic (CONSOLE_SCREENSHOTS)', async () => {
      const dir_ = SCREENSHOTS as string;
      const areas = ['svo_d', 'zenit', 'vko'];
      for (let i = 0; i < 36; i++) {
        const areaId = areas[i % 3] as string;
        const orderId = `burst-${i}`;
        const created = await orders.orders.create({ order_id: orderId, area_id: areaId, locale: 'en' });
        if (i % 4 === 3) continue; // left pending
        const d = driver('park1', `driver-${i}`);
        const app = await asDriver(d);
        if (i % 5 === 0) await app.driver.enterCode({ area_id: areaId, code: '000000' }).catch(() => undefined); // a typo first
        if (i % 7 === 0) {
          await orders.orders.cancel({ order_id: orderId, reason: 'passenger left' });
          continue;
        }
        await app.driver.enterCode({ area_id: areaId, code: created.code_display });
        if (i % 6 !== 1) await processing.processing.lookup(orderId);
      }
      await page.goto(`${base}/console/#/areas`);
      await page.waitForTimeout(6_000);
      await page.screenshot({ path: resolve(dir_, 'console-areas.png'), fullPage: true });
      await page.goto(`${base}/console/#/order/burst-5`);
      await page.getByTestId('timeline').waitFor();
      await page.screenshot({ path: resolve(dir_, 'console-order.png'), fullPage: true });
      expect(await page.getByTestId('timeline-entry').count()).toBeGreaterThanOrEqual(3);
    }, 120_000);
  });
});
