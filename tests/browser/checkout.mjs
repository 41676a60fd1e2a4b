// Browser test of examples/web: headless Chromium (Debian's) driven by
// playwright-core double-clicks "Place order", then "Pay", and checks that the
// shop made one order and one payment and that the page tells the customer so.
// Prints PASS/FAIL lines and "N passed, N failed"; saves a screenshot.
//
//   node tests/browser/checkout.mjs http://127.0.0.1:8080 screenshot.png
import { chromium } from 'playwright-core';

const [url, screenshot] = process.argv.slice(2);
const results = [];
const check = (what, ok, detail = '') => {
  results.push(ok);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}${ok || !detail ? '' : ` — ${detail}`}`);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 820, height: 560 } });
  await page.goto(url);
  check('the product page loads', (await page.textContent('h1')) === 'Espresso machine');

  await page.dblclick('#place-order');
  await page.waitForFunction(() => document.querySelectorAll('#log li').length === 2, null, { timeout: 15000 });
  await page.dblclick('#pay');
  // every click answered and its summary shown: summaries of earlier clicks may land late
  // on a busy machine, so wait for the page to say nothing is pending, not for a fixed time
  await page.waitForFunction(() => document.querySelectorAll('#log li').length === 4
    && document.body.dataset.pending === '0', null, { timeout: 15000 });

  const log = await page.$$eval('#log li', (items) => items.map((li) => li.textContent));
  const orders = new Set(log.filter((l) => l.includes('Place order')).map((l) => l.split('#')[1]));
  const payments = new Set(log.filter((l) => l.includes('"Pay"')).map((l) => l.split('#')[1]));
  const summary = await page.$eval('#summary', (el) => ({ text: el.textContent, ...el.dataset }));
  check('a double-clicked "Place order": both clicks answered with the same order', orders.size === 1, log.join(' | '));
  check('a double-clicked "Pay": both clicks answered with the same payment', payments.size === 1 && !payments.has('null'), log.join(' | '));
  check('the shop holds one order and one payment for the cart', summary.orders === '1' && summary.payments === '1', summary.text);
  check('the page tells the customer so', /1 order and 1 payment .* status: paid/.test(summary.text), summary.text);
  await page.screenshot({ path: screenshot });

  const cart = await page.evaluate(() => cart);
  const status = await browser.newPage();
  await status.goto(`${url}/status?cart=${cart}`);
  const statusText = await status.textContent('#status');
  check('the order status page: 1 order, 1 payment, paid', /1 order, 1 payment — paid/.test(statusText), statusText);
} catch (error) {
  check('the browser run', false, error.message);
} finally {
  await browser.close();
}
const passed = results.filter(Boolean).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
