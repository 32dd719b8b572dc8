import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { join } from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { TestApp, bearer, startTestApp } from '../support/app';

/*
 * The back office (apps/back-office) through Debian's Chromium, against the real API serving the built
 * app: the README's demo walked through the pages, axe-core on every page, the sign form by keyboard.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts/back-office');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
if (!hasChromium) console.warn(`Skipping the back-office browser tests: ${CHROMIUM} not found (apt-get install -y chromium)`);
const describeBrowser = hasChromium ? describe : describe.skip;

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function axeCheck(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol: the app's CSP (no inline script) rightly refuses a script tag.
  await page.evaluate(AXE);
  // A string, run in the page: this test's compilation has no DOM types.
  const violations: Array<{ id: string; impact: string; nodes: string[] }> = await page.evaluate(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((result) =>
      result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect({ page: name, serious }).toEqual({ page: name, serious: [] });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

describeBrowser('the back office in a browser [pglite]', () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    // Always built afresh (a few seconds): a stale dist would test yesterday's pages.
    execFileSync('npm', ['run', '-s', 'build:back-office'], { cwd: ROOT, stdio: 'pipe' });
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestApp('pglite');
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((t.app.getHttpServer() as Server).address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  }, 30_000);

  async function signIn(role: string, sub: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR' });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => {
      throw error;
    });
    await page.goto(`${base}/`);
    await page.selectOption('#login-role', role);
    await page.fill('#login-sub', sub);
    await page.click('#dev-login button[type=submit]');
    await page.waitForSelector('nav[aria-label="Navigation principale"]');
    return page;
  }

  it('serves the app at / under the strict CSP, client routes too, and never shadows /api', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="app"></div>');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    expect((await fetch(`${base}/communes/69123`, { headers: { Accept: 'text/html' } })).headers.get('content-type')).toContain(
      'text/html',
    );
    const other = await fetch(`${base}/nowhere`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    const api = await fetch(`${base}/api/nothing-here`, { headers: { Accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${base}/metrics`, { headers: { Accept: 'text/html' } })).headers.get('content-type') ?? '').not.toContain(
      'text/html',
    );
  });

  it('walks the demo: sign Lyon with two annexes by keyboard, change an offer, a refusal names its rule, a stale version is explained, time travel, the ledger explained', async () => {
    await t.http
      .post('/api/reference/syntec')
      .set(bearer(t.tokens.admin))
      .send({ period: '2024-10', value: '300.0', publishedOn: '2024-11-29' })
      .expect(201);
    await t.http
      .post('/api/reference/syntec')
      .set(bearer(t.tokens.admin))
      .send({ period: '2025-10', value: '306.0', publishedOn: '2025-11-28' })
      .expect(201);

    const login = await browser.newPage({ locale: 'fr-FR' });
    await login.goto(`${base}/`);
    await axeCheck(login, 'connexion');
    await shot(login, '01-connexion');
    await login.close();

    const page = await signIn('admin', 'agent.e2e');
    await page.waitForSelector('#communes-title');
    await axeCheck(page, 'communes');
    await page.goto(`${base}/communes/69123`);
    await page.waitForSelector('#sign');
    await axeCheck(page, 'commune (before signing)');

    // The population Lyon's ledger line needs, through its form.
    await page.fill('#population-population', '522250');
    await page.fill('#population-effectiveDate', '2025-01-01');
    await page.click('#population button[type=submit]');
    await page.waitForSelector('#population .banner.ok');
    await page.waitForSelector('#populations >> text=522');

    // The sign form by keyboard only: type in each field, Tab to the next, Enter on the button.
    await page.focus('#sign-communeName');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('Lyon');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('sign-signedOn');
    await page.fill('#sign-signedOn', '2025-11-15');
    await page.fill('#sign-effectiveFrom', '2026-01-01');
    await page.focus('#sign-legalReference');
    await page.keyboard.type('CP-2025-4074');
    let steps = 0;
    while ((await page.evaluate('document.activeElement && document.activeElement.textContent')) !== 'Signer' && steps++ < 20)
      await page.keyboard.press('Tab');
    expect(steps).toBeLessThan(20);
    await page.keyboard.press('Enter');
    // Signed: the page reads the commune again, shows the convention and no longer offers to sign.
    await page.waitForSelector('text=Convention 69123-1', { timeout: 10_000 }).catch(async (error) => {
      await shot(page, 'failure-sign');
      throw error;
    });
    expect(await page.$('#sign')).toBeNull();
    expect(await page.textContent('article.convention')).toContain('laclasse');
    await shot(page, '02-lyon-signee');

    const beforeChange = new Date(Date.now() + 1000);
    await page.waitForTimeout(2100);
    await page.click('article.convention summary');
    await page.fill('#offer-69123-1-serviceId', 'toodego');
    await page.fill('#offer-69123-1-offerId', 'connecte');
    await page.fill('#offer-69123-1-effectiveFrom', '2026-09-01');
    // A double click records once: the button is disabled in flight and the key is the same.
    await page.dblclick('#offer-69123-1 button[type=submit]');
    await page.waitForSelector('#offer-69123-1 .banner.ok');
    const changes = (await t.allEvents()).filter((e) => e.type === 'OfferChanged');
    expect(changes).toHaveLength(1);
    await page.waitForSelector('article.convention >> text=connecte');

    // A refusal names its rule: an annex for a service the convention already has.
    await page.fill('#annex-69123-1-serviceId', 'toodego');
    await page.fill('#annex-69123-1-offerId', 'partenaire');
    await page.fill('#annex-69123-1-effectiveFrom', '2026-10-01');
    await page.click('#annex-69123-1 button[type=submit]');
    const refusal = await page.waitForSelector('#annex-69123-1 .banner.error');
    expect(await refusal.textContent()).toMatch(/Refusé par la règle R-[A-Z]+-\d+/);
    // A field error next to its field, tied by aria-describedby.
    await page.fill('#stop-69123-1-serviceId', 'laclasse');
    await page.fill('#stop-69123-1-effectiveOn', '2026-13-45');
    await page.fill('#stop-69123-1-reason', 'essai');
    await page.click('#stop-69123-1 button[type=submit]');
    await page.waitForSelector('#stop-69123-1-effectiveOn-error');
    expect(await page.getAttribute('#stop-69123-1-effectiveOn', 'aria-describedby')).toContain('stop-69123-1-effectiveOn-error');
    await shot(page, '03-refus');
    await axeCheck(page, 'commune (with errors)');

    // Someone else changes the convention after this page read it: the 409 is explained.
    const current = await t.http.get('/api/conventions/69123-1').set(bearer(t.tokens.admin));
    const behind = await t.http
      .post('/api/conventions/69123-1/annexes/laclasse/stop')
      .set({ ...bearer(t.tokens.admin), 'If-Match': current.headers.etag })
      .send({ effectiveOn: '2026-12-31', reason: 'arrêt décidé ailleurs' });
    expect(behind.status).toBeLessThan(300);
    await page.fill('#offer-69123-1-serviceId', 'toodego');
    await page.fill('#offer-69123-1-offerId', 'partenaire');
    await page.fill('#offer-69123-1-effectiveFrom', '2026-12-01');
    await page.click('#offer-69123-1 button[type=submit]');
    const stale = await page.waitForSelector('#offer-69123-1 .banner.error');
    expect(await stale.textContent()).toContain("Cette convention a changé depuis que vous l'avez ouverte");

    // Time travel: in force on 2026-10-01, as known before the change (A) and now (B).
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    await page.fill('#tt-a-on', '2026-10-01');
    await page.fill('#tt-a-known', local(beforeChange));
    await page.fill('#tt-b-on', '2026-10-01');
    await page.fill('#tt-b-known', local(new Date(Date.now() + 1000)));
    await page.click('#time-travel button[type=submit]');
    const row = await page.waitForSelector('#tt-result tr.differs >> text=Droit toodego').catch(async (error) => {
      await shot(page, 'failure-time-travel');
      throw error;
    });
    const text = await (await row.evaluateHandle((cell) => cell.closest('tr')!)).textContent();
    expect(text).toContain('partenaire');
    expect(text).toContain('connecte');
    expect(text).toContain('≠ différent');
    await shot(page, '04-voyage-dans-le-temps');

    await page.goto(`${base}/registre?annee=2026&commune=69123`);
    const lyon = await page.waitForSelector('#ledger tbody tr >> text=Lyon (69123)');
    const line = await (await lyon.evaluateHandle((cell) => cell.closest('tr')!)).textContent();
    expect(line).toContain('population 522250');
    expect(line).toContain('coefficient');
    await axeCheck(page, 'registre');
    await shot(page, '05-registre');

    for (const path of ['/cycle', '/catalogue', '/integrite']) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector('h1');
      await axeCheck(page, path);
    }
    await page.goto(`${base}/cycle`);
    await page.fill('#cycle-before', '2027-01-01');
    await page.dispatchEvent('#cycle-before', 'change');
    await page.waitForSelector('text=reconduction tacite n° 1');
    await page.close();
  }, 90_000);

  it('gives the auditor the timeline and the log integrity, the consumer the live feed', async () => {
    const auditor = await signIn('auditor', 'auditrice.e2e');
    await auditor.goto(`${base}/conventions/69123-1/historique`);
    await auditor.waitForSelector('#timeline >> text=ConventionSigned');
    const timeline = await auditor.textContent('#timeline');
    expect(timeline).toContain('agent.e2e (admin)');
    expect(timeline).toContain('CP-2025-4074');
    await axeCheck(auditor, 'historique');
    await shot(auditor, '06-historique');
    await auditor.goto(`${base}/integrite`);
    await auditor.click('text=Vérifier tout le journal');
    expect(await (await auditor.waitForSelector('#verify-result')).textContent()).toMatch(/Journal intègre : \d+ événement/);
    await auditor.close();

    const consumer = await signIn('consumer', 'integrateur.e2e');
    await consumer.waitForSelector('#feed-events li');
    const all = await consumer.$$eval('#feed-events li strong', (nodes) => nodes.map((n) => n.textContent ?? ''));
    // Lyon's signature granted its two services: the feed says so (integration events, docs/events.md).
    expect(all).toContain('EntitlementGranted');
    expect(new Set(all).size).toBeGreaterThan(1);
    await consumer.selectOption('#feed-type', 'EntitlementGranted');
    const shown = await consumer.$$eval('#feed-events li strong', (nodes) => nodes.map((n) => n.textContent));
    expect(shown.length).toBeGreaterThan(0);
    expect(new Set(shown)).toEqual(new Set(['EntitlementGranted']));
    await axeCheck(consumer, 'flux');
    await shot(consumer, '07-flux');
    await consumer.close();
  }, 60_000);
});
