/** Templates: layouts, partials, the locale chain, strict mode, escaping, data that looks like a template. */
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { createNotifier, createOutbox, htmlToText, type NotifierOptions } from '../../src/notify/index.js';
import { FROM, newClock, rejection } from './fixtures.js';

function build(templates: NotifierOptions['templates'], extra: Partial<NotifierOptions> = {}) {
  const outbox = createOutbox();
  const notifier = createNotifier({
    channels: { email: { providers: [outbox.email], from: FROM }, sms: { providers: [outbox.sms] } },
    categories: { transactional: 'transactional' },
    templates,
    clock: newClock(),
    ...extra,
  });
  return { outbox, notifier };
}

const to = { userId: 'u1', email: 'ada@example.com', phone: '+14155550100' };

describe('templates', () => {
  it('renders a layout around the body, with partials, and derives the text part', async () => {
    const { notifier } = build(
      {
        welcome: {
          email: { subject: 'Welcome, {{name}}', html: '<p>Hi {{name}}</p>{{> footer}}', layout: 'main' },
        },
      },
      {
        layouts: { main: '<html><head><title>x</title></head><body>{{{body}}}</body></html>' },
        partials: { footer: '<p><a href="https://example.com/help?a=1&amp;b=2">Help</a></p>' },
      },
    );
    const { messages } = await notifier.preview({ to, template: 'welcome', data: { name: 'Ada' } });
    const email = messages[0];
    expect(email?.channel).toBe('email');
    if (email?.channel !== 'email') return;
    expect(email.subject).toBe('Welcome, Ada');
    expect(email.html).toBe(
      '<html><head><title>x</title></head><body><p>Hi Ada</p><p><a href="https://example.com/help?a=1&amp;b=2">Help</a></p></body></html>',
    );
    expect(email.text).toBe('Hi Ada\n\nHelp (https://example.com/help?a=1&b=2)');
  });

  it('falls back fr-CA → fr → default, per part', async () => {
    const { notifier } = build({
      hello: {
        email: { subject: 'Hello', text: 'Hello {{name}}' },
        sms: { text: 'Hi {{name}}' },
        locales: {
          fr: { email: { subject: 'Bonjour', text: 'Bonjour {{name}}' } },
          'fr-CA': { sms: { text: 'Allo {{name}}' } },
        },
      },
    });
    const render = async (locale?: string) =>
      (
        await notifier.preview({
          to: { ...to, ...(locale ? { locale } : {}) },
          template: 'hello',
          data: { name: 'Zoé' },
        })
      ).messages.map((m) => (m.channel === 'email' ? m.subject : m.channel === 'sms' ? m.text : ''));
    expect(await render('fr-CA')).toEqual(['Bonjour', 'Allo Zoé']);
    expect(await render('fr-FR')).toEqual(['Bonjour', 'Hi Zoé']);
    expect(await render('fr')).toEqual(['Bonjour', 'Hi Zoé']);
    expect(await render('de')).toEqual(['Hello', 'Hi Zoé']);
    expect(await render()).toEqual(['Hello', 'Hi Zoé']);
    expect(await render('not a locale!')).toEqual(['Hello', 'Hi Zoé']);
    expect(
      (await notifier.preview({ to: { ...to, locale: 'fr-ca' }, template: 'hello', data: { name: 'x' } }))
        .locale,
    ).toBe('fr');
  });

  it('strict mode: a missing variable is a typed error and nothing is sent', async () => {
    const { notifier, outbox } = build({
      t: { email: { subject: 'Hi {{name}}', text: 'Order {{order.id}}' } },
    });
    const error = await rejection(() => notifier.send({ to, template: 't', data: { name: 'Ada' } }));
    expect(error).toMatchObject({ code: 'ERR_NOTIFY_TEMPLATE_DATA' });
    expect(String(error.message)).toContain('templates.t.email.text');
    expect(outbox.messages).toEqual([]);
  });

  it('strict off: a missing variable renders empty', async () => {
    const { notifier } = build({ t: { email: { subject: 'Hi {{name}}!', text: 'x' } } }, { strict: false });
    const [email] = (await notifier.preview({ to, template: 't' })).messages;
    expect(email?.channel === 'email' && email.subject).toBe('Hi !');
  });

  it('escapes HTML by default; plain-text parts are not HTML-escaped', async () => {
    const { notifier } = build({
      t: { email: { subject: 'Re: {{q}}', html: '<p>{{q}}</p>' }, sms: { text: 'Q: {{q}}' } },
    });
    const q = '<script>alert("x")</script> & co';
    const [email, sms] = (await notifier.preview({ to, template: 't', data: { q } })).messages;
    if (email?.channel !== 'email' || sms?.channel !== 'sms') throw new Error('two messages expected');
    expect(email.html).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</p>');
    expect(email.text).toBe(q); // decoded back, shown as text, never a tag
    expect(email.subject).toBe(`Re: ${q}`);
    expect(sms.text).toBe(`Q: ${q}`);
  });

  it('data containing {{ is output as text, never compiled', async () => {
    const { notifier } = build({
      t: { email: { subject: '{{s}}', html: '<p>{{h}}</p>{{{raw}}}', text: '{{h}}' } },
    });
    const data = {
      s: '{{constructor.constructor "return 1"}}',
      h: '{{#each this}}{{/each}}',
      raw: '{{> footer}}',
    };
    const [email] = (await notifier.preview({ to, template: 't', data })).messages;
    if (email?.channel !== 'email') throw new Error('email expected');
    expect(email.subject).toBe(data.s);
    expect(email.text).toBe(data.h);
    expect(email.html).toBe(`<p>${data.h.replace(/=/g, '&#x3D;')}</p>${data.raw}`);
  });

  it('a template that does not parse fails construction with ERR_NOTIFY_TEMPLATE_SYNTAX', () => {
    expect(() => build({ t: { email: { subject: 'Hi {{name', text: 'x' } } })).toThrow(
      expect.objectContaining({ code: 'ERR_NOTIFY_TEMPLATE_SYNTAX' }),
    );
    expect(() => build({ t: { email: { subject: 'x', text: 'x', layout: 'nope' } } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => build({ t: { email: { subject: 'x', text: '{{#if a}}' } } })).toThrow(
      expect.objectContaining({ code: 'ERR_NOTIFY_TEMPLATE_SYNTAX' }),
    );
  });

  it('helpers and partials stay on the notifier instance (nothing global)', async () => {
    const { notifier } = build(
      { t: { email: { subject: '{{shout name}}', text: '{{> sig}}' } } },
      { helpers: { shout: (s: string) => String(s).toUpperCase() }, partials: { sig: '-- {{name}}' } },
    );
    const [email] = (await notifier.preview({ to, template: 't', data: { name: 'ada' } })).messages;
    expect(email?.channel === 'email' && [email.subject, email.text]).toEqual(['ADA', '-- ada']);
    expect(Handlebars.helpers.shout).toBeUndefined();
    expect(Handlebars.partials.sig).toBeUndefined();
    // Another notifier does not see them: the template does not parse as a helper call there (strict: missing).
    const other = build({ t: { email: { subject: '{{shout name}}', text: 'x' } } });
    expect(
      await rejection(() => other.notifier.preview({ to, template: 't', data: { name: 'ada' } })),
    ).toMatchObject({
      code: 'ERR_NOTIFY_TEMPLATE_DATA',
    });
  });

  it('an unknown template is ERR_NOTIFY_TEMPLATE_NOT_FOUND; a prototype name is not a template', async () => {
    const { notifier } = build({ t: { email: { subject: 'x', text: 'x' } } });
    for (const template of ['nope', 'constructor', '__proto__', 'toString']) {
      expect(await rejection(() => notifier.send({ to, template }))).toMatchObject({
        code: 'ERR_NOTIFY_TEMPLATE_NOT_FOUND',
      });
    }
  });

  it('compiles each template once and reuses it', async () => {
    const spy = { compiles: 0 };
    const original = Handlebars.create;
    // Count compiles on the notifier's own instance by wrapping create for this construction only.
    Handlebars.create = () => {
      const hb = original();
      const compile = hb.compile.bind(hb);
      hb.compile = ((...args: Parameters<typeof compile>) => {
        spy.compiles++;
        return compile(...args);
      }) as typeof hb.compile;
      return hb;
    };
    let built: ReturnType<typeof build>;
    try {
      built = build({ t: { email: { subject: 'Hi {{n}}', html: '<b>{{n}}</b>' } } });
    } finally {
      Handlebars.create = original;
    }
    for (let i = 0; i < 5; i++) await built.notifier.preview({ to, template: 't', data: { n: i } });
    expect(spy.compiles).toBe(2); // subject and html, once each
  });
});

describe('htmlToText', () => {
  it('strips tags, drops invisible elements, decodes entities last', () => {
    expect(
      htmlToText(
        '<style>p{color:red}</style><script>x()</script><!-- c --><p>a &lt;b&gt; &amp;amp; &#169; &#x1F600; &bogus;</p>',
      ),
    ).toBe('a <b> &amp; © 😀 &bogus;');
  });
  it('keeps links as text (url), and bare urls once', () => {
    expect(
      htmlToText(
        '<a href="https://x.test/a">Go</a> <a href="https://x.test/b">https://x.test/b</a> <a href=\'mailto:a@x.test\'>a@x.test</a> <a href="#top">top</a> <a href="javascript:evil()">click</a>',
      ),
    ).toBe('Go (https://x.test/a) https://x.test/b a@x.test top click');
  });
  it('turns blocks, breaks and list items into lines', () => {
    expect(
      htmlToText(
        '<h1>Title</h1><p>one<br>two</p><ul><li>a</li><li>b</li></ul><table><tr><td>x</td><td>y</td></tr></table>',
      ),
    ).toBe('Title\n\none\ntwo\n\n- a\n- b\n\nx y');
  });
  it('does not take > inside quoted attributes for the end of a tag, and replaces invalid references', () => {
    expect(htmlToText('<img alt="a > b" src="x">after &#0; &#xD800; &#9999999;')).toBe(
      'after \ufffd \ufffd \ufffd',
    );
  });
});
