<?php /* The product page: its script sends one request per click, like many shop front ends. */ ?>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rlock demo shop</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; max-width: 40em; margin: 2em auto; color: #222; }
.product { border: 1px solid #ddd; border-radius: 8px; padding: 1.5em; }
button { font-size: 1em; padding: .5em 1.2em; margin-right: .5em; cursor: pointer; }
#log { margin-top: 1em; padding: 0; list-style: none; }
#log li { padding: .3em .6em; margin: .2em 0; background: #f4f7f4; border-left: 4px solid #3a3; }
#summary { font-weight: bold; margin-top: 1em; }
</style>
</head>
<body>
<div class="product">
  <h1>Espresso machine</h1>
  <p>Price: <strong>49.99 €</strong></p>
  <button id="place-order">Place order</button>
  <button id="pay" disabled>Pay</button>
  <ul id="log"></ul>
  <p id="summary"></p>
</div>
<script>
const cart = 'cart-' + Math.random().toString(36).slice(2, 10);
const log = (text) => { const li = document.createElement('li'); li.textContent = text; document.getElementById('log').append(li); };
const post = (path) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'cart=' + cart}).then(r => r.json());
let clicks = {order: 0, pay: 0};
// clicks whose answer and summary are not on the page yet (tests/browser waits for 0)
const pending = (change) => { document.body.dataset.pending = (+(document.body.dataset.pending || 0) + change); };
document.getElementById('place-order').addEventListener('click', async () => {
  const n = ++clicks.order;
  pending(+1);
  const answer = await post('/order');
  log(`click ${n} on "Place order": order #${answer.order}`);
  document.getElementById('pay').disabled = false;
  await summarize();
  pending(-1);
});
document.getElementById('pay').addEventListener('click', async () => {
  const n = ++clicks.pay;
  pending(+1);
  const answer = await post('/pay');
  log(`click ${n} on "Pay": payment #${answer.payment}`);
  await summarize();
  pending(-1);
});
let summaries = 0;
async function summarize() {
  const mine = ++summaries;
  const status = await fetch('/status?cart=' + cart + '&format=json').then(r => r.json());
  if (mine !== summaries) {
    return; // a later summary was asked for: an older answer arriving late must not replace it
  }
  document.getElementById('summary').textContent =
    `${clicks.order} click(s) on "Place order", ${clicks.pay} on "Pay": ` +
    `${status.orders} order and ${status.payments} payment for this cart — status: ${status.status}`;
  document.getElementById('summary').dataset.orders = status.orders;
  document.getElementById('summary').dataset.payments = status.payments;
}
</script>
</body>
</html>
