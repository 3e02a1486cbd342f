/**
 * Demo knowledge base: the help centre of Northwind Outfitters (outdoor gear), four categories and a dozen
 * published articles that answer the demo tickets' questions (returns, damaged parcels, double charges, sign-in,
 * shipping to the islands, sizing, stove safety…), plus one draft. Made through the service, so events and rendered
 * HTML are what real use makes. The tests of src/modules/kb use the same corpus.
 */
import type { Actor } from '../domain/permissions.ts';
import type { Services } from '../services.ts';

export type DemoArticle = { key: string; category: string; title: string; tags: string[]; body: string };

export const demoKbCategories = [
  { slug: 'orders-shipping', name: 'Orders and shipping', description: 'Delivery times, destinations and tracking.' },
  { slug: 'returns-refunds', name: 'Returns and refunds', description: 'Sending things back, exchanges and refunds.' },
  { slug: 'account-payments', name: 'Account and payments', description: 'Signing in, cards and charges.' },
  { slug: 'gear-care', name: 'Gear, sizing and safety', description: 'Choosing, using and caring for your gear.' },
];

export const demoKbArticles: DemoArticle[] = [
  {
    key: 'returns',
    category: 'returns-refunds',
    title: 'How to return an item and get a refund',
    tags: ['returns', 'refund'],
    body: `You can send back anything you bought from us within **30 days** of delivery, as long as it is unused and
has its labels.

## Start a return

1. Open **Orders** in your account and choose the order.
2. Click **Return items**, pick the items and a reason.
3. We e-mail you a **prepaid return label**. Print it and stick it on the parcel.
4. Drop the parcel at any post office or courier point.

## When you get your money back

The refund goes to the card or account you paid with as soon as the parcel reaches our warehouse, usually within
5 working days of drop-off. Your bank may take another 2–3 days to show it.`,
  },
  {
    key: 'exchange',
    category: 'returns-refunds',
    title: 'Exchanging for a different size or colour',
    tags: ['returns', 'exchange', 'sizing'],
    body: `Boots too tight or a jacket too small? Exchange it for another size or colour free of charge.

1. Start a return from **Orders → Return items** and choose **Exchange** as the reason.
2. Select the new size or colour. We reserve it for you straight away.
3. Send the original back with the prepaid label; the new one ships as soon as the parcel is scanned.

If the size you want is out of stock, we refund you instead.`,
  },
  {
    key: 'damaged',
    category: 'returns-refunds',
    title: 'My order arrived damaged or with a part missing',
    tags: ['damaged', 'courier'],
    body: `We are sorry! Please tell us within **14 days** of delivery and we will put it right.

- Take a photo of the damage (a torn flysheet, a bent pole, a broken buckle) and of the box.
- Reply to your order confirmation or contact us with the photos and your order number.

We send a **replacement by express** at no cost, or a full refund if you prefer, and open a claim with the courier
ourselves — you do not need to keep the packaging.`,
  },
  {
    key: 'double-charge',
    category: 'account-payments',
    title: 'I was charged twice for one order',
    tags: ['payments', 'card', 'charge'],
    body: `Seeing two charges on your card statement for the same order? Usually one of them is a **pending
authorisation**, not a real payment.

When you pay, your bank first reserves the amount (the authorisation) and then takes it (the capture). Some banks
show both for a few days. The authorisation **disappears by itself within 5 working days** and you are only charged
once.

If both charges are still there after 5 working days, contact us with a screenshot of the statement and we refund
the duplicate at once.`,
  },
  {
    key: 'password',
    category: 'account-payments',
    title: 'Reset your password or fix sign-in problems',
    tags: ['account', 'password', 'sign-in'],
    body: `Forgot your password, or cannot sign in to your account?

1. On the sign-in page, click **Forgot password**.
2. Enter the e-mail address of your account. We send a **reset link** that works for 1 hour.
3. Choose a new password of at least 10 characters.

**The reset link says it has expired?** Links work once and for one hour: request a new one and use the newest
e-mail. Check your spam folder if nothing arrives within a few minutes.`,
  },
  {
    key: 'payment-methods',
    category: 'account-payments',
    title: 'Which payment methods do you accept?',
    tags: ['payments', 'card'],
    body: `We accept Visa, Mastercard and American Express cards, PayPal, Apple Pay, Google Pay and MB WAY.
Cards are charged when your order ships. Invoices with VAT are in your account under **Orders**.`,
  },
  {
    key: 'shipping-destinations',
    category: 'orders-shipping',
    title: 'Where do you ship and how long does delivery take?',
    tags: ['shipping', 'delivery'],
    body: `We ship to every country of the European Union, the United Kingdom, Norway and Switzerland.

| Destination | Standard | Express |
|---|---|---|
| Mainland Portugal and Spain | 2–3 working days | next day |
| Azores and Madeira | 4–6 working days | 2–3 working days |
| Rest of Europe | 3–5 working days | 1–2 working days |

Shipping to the islands (Azores, Madeira, Canaries, Balearics) costs the same as the mainland. Orders over €60
ship free.`,
  },
  {
    key: 'tracking',
    category: 'orders-shipping',
    title: 'Tracking your parcel',
    tags: ['shipping', 'tracking', 'delivery'],
    body: `As soon as your order leaves our warehouse we e-mail you a **tracking number** and a link to follow the
parcel. It can take up to 24 hours before the courier shows the first scan.

If the tracking has not moved for 5 working days, contact us and we will chase the courier.`,
  },
  {
    key: 'cancel',
    category: 'orders-shipping',
    title: 'Changing or cancelling an order',
    tags: ['orders', 'cancel'],
    body: `You can change the address or cancel an order until it is packed — usually within 2 hours of ordering.
Open **Orders**, choose the order and click **Cancel** or **Change address**. Once it has shipped, refuse the parcel
or return it as usual.`,
  },
  {
    key: 'merino-sizing',
    category: 'gear-care',
    title: 'Sizing guide for merino base layers',
    tags: ['sizing', 'merino', 'base layer'],
    body: `Merino base layers are meant to fit **close to the skin** so they move sweat away.

- Between two sizes? For hiking and skiing choose the **smaller** size; for everyday wear the larger one.
- Merino shrinks slightly if washed hot: wash at 30 °C on a wool programme and dry flat.

Measure your chest around the fullest part and compare with the size chart on each product page.`,
  },
  {
    key: 'stove-safety',
    category: 'gear-care',
    title: 'Camping stove smells of gas or leaks: what to do',
    tags: ['stove', 'safety', 'gas'],
    body: `**If you smell gas, stop using the stove at once.** Close the valve, unscrew the canister outdoors, away from
flames, and let the area air.

Most leaks come from a worn **O-ring** at the canister connection or a canister screwed on crooked. Check the O-ring
for cracks; spare O-rings are free — contact us and we post them. Never use a stove that leaks, and never inside a
tent.

Stoves have a 2-year warranty: if the valve itself leaks we replace the stove.`,
  },
  {
    key: 'warranty',
    category: 'gear-care',
    title: 'Warranty and repairs',
    tags: ['warranty', 'repair'],
    body: `Everything we sell has at least a **2-year warranty** against defects in materials and workmanship. Tents,
backpacks and jackets can also be **repaired** at our workshop in Porto: zips, seams, buckles and small tears.

Send us photos of the problem and your order number; we tell you whether it is covered and send a prepaid label.`,
  },
];

/** An unpublished article: the help centre never shows it. */
export const demoKbDraft: DemoArticle = {
  key: 'gift-cards-draft',
  category: 'account-payments',
  title: 'Gift cards (coming soon)',
  tags: ['gift card'],
  body: 'Gift cards will be sold from the autumn. This article is a draft.',
};

export type DemoKbCounts = { categories: number; articles: number; drafts: number };

export async function createDemoKb(
  services: Services,
  actor: Actor,
): Promise<DemoKbCounts & { ids: Record<string, string> }> {
  const categoryIds = new Map<string, string>();
  let position = 0;
  for (const c of demoKbCategories) {
    const made = await services.kb.createCategory(actor, { ...c, position: position++ });
    categoryIds.set(c.slug, made.id);
  }
  const ids: Record<string, string> = {};
  for (const a of [...demoKbArticles, demoKbDraft]) {
    const made = await services.kb.create(actor, {
      title: a.title,
      body: a.body,
      tags: a.tags,
      categoryId: categoryIds.get(a.category) ?? null,
      status: a === demoKbDraft ? 'draft' : 'published',
    });
    ids[a.key] = made.id;
  }
  return { categories: demoKbCategories.length, articles: demoKbArticles.length, drafts: 1, ids };
}
