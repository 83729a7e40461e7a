/**
 * What the notify bench sends: one realistic transactional email (an order receipt: an HTML layout with a
 * footer partial, an item-row partial in a loop, a subject, and a text part given as its own template),
 * per-message data, and the activity templates of the digest case. Both sides of the render case use
 * exactly these sources and this data.
 */

/** The sender, on both sides. */
export const FROM = { name: 'Example Shop', address: 'shop@example.com' } as const;

/** Shared handlebars sources: the layout gets the data plus the rendered `body`. */
export const LAYOUTS = {
  main:
    '<!doctype html><html><head><meta charset="utf-8"><title>{{shop}}</title>' +
    '<style>body{font-family:Helvetica,Arial,sans-serif;color:#222}td{padding:4px 8px}.footer{color:#888}</style>' +
    '</head><body><table class="wrapper" width="100%"><tr><td><h1>{{shop}}</h1>{{{body}}}<hr>' +
    '{{> footer}}</td></tr></table></body></html>',
  // The digest's data is only `{ items, count, truncated }`, so the activity layout names nothing else.
  forum:
    '<!doctype html><html><head><meta charset="utf-8"><title>Example Forum</title></head><body>{{{body}}}' +
    '<hr><p class="footer">Example Forum · <a href="https://forum.example.com/settings">Settings</a></p></body></html>',
} as const;

export const PARTIALS = {
  footer:
    '<p class="footer">{{shop}} · {{address}} · <a href="{{supportUrl}}">Help</a> · ' +
    'You get this email because you ordered from us.</p>',
  item: '<tr><td>{{name}}</td><td>{{quantity}}</td><td>{{price}}</td></tr>',
} as const;

/** The receipt: subject, HTML body (in the `main` layout) and its text part. */
export const RECEIPT = {
  subject: 'Your order {{orderId}} ({{total}})',
  html:
    '<p>Hi {{name}},</p><p>Thanks for your order <strong>{{orderId}}</strong>. It ships in 2 days.</p>' +
    '<table><tr><th>Item</th><th>Qty</th><th>Price</th></tr>{{#each items}}{{> item}}{{/each}}</table>' +
    '<p>Total: <strong>{{total}}</strong></p><p><a href="{{orderUrl}}">View your order</a></p>',
  text:
    'Hi {{name}},\n\nThanks for your order {{orderId}}. It ships in 2 days.\n\n' +
    '{{#each items}}- {{name}} x{{quantity}}: {{price}}\n{{/each}}\nTotal: {{total}}\nView your order: {{orderUrl}}\n',
} as const;

const PRODUCTS = ['Blue mug', 'Notebook (A5, dotted)', 'Fountain pen', 'Ink, 50 ml', 'Tote bag'];

/** The data of message `i`: a few fields and three items, different per message. */
export function receiptData(i: number) {
  const items = [0, 1, 2].map((k) => ({
    name: PRODUCTS[(i + k) % PRODUCTS.length] as string,
    quantity: 1 + ((i + k) % 3),
    price: `€${(4 + ((i * 7 + k * 3) % 40)).toFixed(2)}`,
  }));
  return {
    shop: 'Example Shop',
    address: '1 Market Street, Springfield',
    supportUrl: 'https://shop.example.com/help',
    name: `Customer ${i}`,
    orderId: `A-${100000 + i}`,
    items,
    total: `€${(20 + (i % 90)).toFixed(2)}`,
    orderUrl: `https://shop.example.com/orders/A-${100000 + i}`,
  };
}

/** The recipient of message `i`. */
export const recipient = (i: number) => ({
  userId: `u${i}`,
  email: `customer${i}@example.net`,
  name: `Customer ${i}`,
});

/** The digest case: one comment notification, real-time or digested, and the digest that sums them up. */
export const ACTIVITY = {
  email: {
    subject: '{{actor}} commented on {{post}}',
    html: '<p><strong>{{actor}}</strong> commented on <a href="{{url}}">{{post}}</a>:</p><blockquote>{{comment}}</blockquote>',
    text: '{{actor}} commented on {{post}}: {{comment}}\n{{url}}\n',
    layout: 'forum',
  },
} as const;

export const ACTIVITY_DIGEST = {
  email: {
    subject: '{{count}} new comments',
    html:
      '<p>{{count}} new comments:</p><ul>{{#each items}}<li><strong>{{actor}}</strong> on ' +
      '<a href="{{url}}">{{post}}</a>: {{comment}}</li>{{/each}}</ul>{{#if truncated}}<p>and more</p>{{/if}}',
    text: '{{count}} new comments:\n{{#each items}}- {{actor}} on {{post}}: {{comment}}\n{{/each}}',
    layout: 'forum',
  },
} as const;

/** The data of event `i`. */
export function activityData(i: number) {
  const post = i % 7;
  return {
    actor: `member${i}`,
    post: `Post #${post}`,
    url: `https://forum.example.com/posts/${post}#c${i}`,
    comment: 'Thanks, this helped me fix the same problem on my side.',
  };
}
