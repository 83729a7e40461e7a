/**
 * Templates on handlebars: one isolated instance per notifier (`Handlebars.create()`: helpers and
 * partials registered here never leak into another notifier or the global instance), layouts and
 * partials, a locale fallback chain, strict mode, escaping by default in HTML and none in plain-text
 * parts (an SMS must not read `&amp;`). Every source is parsed at construction (a syntax error fails
 * `createNotifier`) and compiled once, on first use, then cached.
 *
 * Data is never compiled: a value holding `{{` is output as text, because handlebars only compiles
 * template sources and only ever interpolates data.
 */
import Handlebars from 'handlebars';
import { InvalidOptionError } from '../core/errors.js';
import { TemplateDataError, TemplateNotFoundError, TemplateSyntaxError } from './errors.js';
import { htmlToText } from './html-text.js';
import type { ChannelKind } from './provider.js';
import type { EmailTemplate, LocalizedTemplate, SmsTemplate, TemplateDefinition } from './types.js';

/** A helper function, registered on the notifier's own handlebars instance. */
export type TemplateHelper = (...args: never[]) => unknown;

/** What the engine is built from (the notifier's options). */
export interface TemplateEngineOptions {
  readonly templates: Readonly<Record<string, TemplateDefinition>>;
  readonly layouts: Readonly<Record<string, string>>;
  readonly partials: Readonly<Record<string, string>>;
  readonly helpers: Readonly<Record<string, TemplateHelper>>;
  readonly strict: boolean;
}

/** A rendered email. */
export interface RenderedEmail {
  readonly subject: string;
  readonly html?: string;
  readonly text: string;
}

/** The template engine of one notifier. */
export interface TemplateEngine {
  /** The channels a template defines. Throws `TemplateNotFoundError` for an unknown name. */
  channels(name: string): readonly ChannelKind[];
  definition(name: string): TemplateDefinition;
  /** The locale a part renders in for a recipient's tag: the first of the chain the template has, else `default`. */
  localeFor(name: string, part: 'email' | 'sms', locale: string | undefined): string;
  renderEmail(name: string, locale: string, data: Readonly<Record<string, unknown>>): RenderedEmail;
  renderSms(name: string, locale: string, data: Readonly<Record<string, unknown>>): string;
}

const DEFAULT = 'default';

/** `fr-CA` → `['fr-CA', 'fr']`; an invalid tag gives `[]` (the default part is used). */
export function localeChain(tag: string | undefined): string[] {
  if (tag === undefined) return [];
  let canonical: string;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0] ?? '';
  } catch {
    return [];
  }
  const parts = canonical.split('-');
  const chain: string[] = [];
  for (let n = parts.length; n >= 1; n--) chain.push(parts.slice(0, n).join('-'));
  return chain;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

type Compiled = (data: unknown) => string;

/** Parses every source now, so a broken template fails construction, not the first send. */
function checkSyntax(hb: typeof Handlebars, where: string, source: unknown): void {
  if (typeof source !== 'string')
    throw new InvalidOptionError(`createNotifier: \`${where}\` must be a string`);
  try {
    hb.parse(source);
  } catch (error) {
    throw new TemplateSyntaxError(`\`${where}\` does not parse: ${firstLine(error)}`, { cause: error });
  }
}

function checkEmailPart(
  hb: typeof Handlebars,
  where: string,
  part: EmailTemplate,
  layouts: Readonly<Record<string, string>>,
) {
  checkSyntax(hb, `${where}.subject`, part.subject);
  if (part.html === undefined && part.text === undefined) {
    throw new InvalidOptionError(`createNotifier: \`${where}\` needs \`html\` or \`text\``);
  }
  if (part.html !== undefined) checkSyntax(hb, `${where}.html`, part.html);
  if (part.text !== undefined) checkSyntax(hb, `${where}.text`, part.text);
  if (part.layout !== undefined && !Object.hasOwn(layouts, part.layout)) {
    throw new InvalidOptionError(`createNotifier: \`${where}.layout\` names no layout`);
  }
}

function checkDefinition(
  hb: typeof Handlebars,
  name: string,
  t: TemplateDefinition,
  layouts: Readonly<Record<string, string>>,
) {
  const where = `templates.${name}`;
  if (!t.email && !t.sms && !t.webhook) {
    throw new InvalidOptionError(`createNotifier: \`${where}\` defines no channel (email, sms or webhook)`);
  }
  if (t.email) checkEmailPart(hb, `${where}.email`, t.email, layouts);
  if (t.sms) checkSyntax(hb, `${where}.sms.text`, t.sms.text);
  if (t.webhook && (typeof t.webhook.type !== 'string' || t.webhook.type === '')) {
    throw new InvalidOptionError(`createNotifier: \`${where}.webhook.type\` must be a non-empty string`);
  }
  const locales: Record<string, LocalizedTemplate> = {};
  for (const [tag, part] of Object.entries(t.locales ?? {})) {
    const [canonical] = localeChain(tag);
    if (canonical === undefined)
      throw new InvalidOptionError(`createNotifier: \`${where}.locales.${tag}\` is not a BCP 47 tag`);
    if (part.email) checkEmailPart(hb, `${where}.locales.${tag}.email`, part.email, layouts);
    if (part.sms) checkSyntax(hb, `${where}.locales.${tag}.sms.text`, part.sms.text);
    locales[canonical] = part;
  }
  return locales;
}

/** Builds the engine; throws `TemplateSyntaxError` or `InvalidOptionError` for a broken set. */
export function createTemplateEngine(options: TemplateEngineOptions): TemplateEngine {
  const hb = Handlebars.create();
  for (const [name, source] of Object.entries(options.partials)) {
    checkSyntax(hb, `partials.${name}`, source);
    hb.registerPartial(name, source);
  }
  for (const [name, source] of Object.entries(options.layouts)) checkSyntax(hb, `layouts.${name}`, source);
  for (const [name, helper] of Object.entries(options.helpers)) {
    if (typeof helper !== 'function')
      throw new InvalidOptionError(`createNotifier: \`helpers.${name}\` must be a function`);
    hb.registerHelper(name, helper as Handlebars.HelperDelegate);
  }
  const localized = new Map<string, Record<string, LocalizedTemplate>>();
  for (const [name, definition] of Object.entries(options.templates)) {
    localized.set(name, checkDefinition(hb, name, definition, options.layouts));
  }

  const cache = new Map<string, Compiled>();
  const run = (where: string, source: string, escapeHtml: boolean, data: unknown): string => {
    let compiled = cache.get(where);
    if (compiled === undefined) {
      compiled = hb.compile(source, { strict: options.strict, noEscape: !escapeHtml });
      cache.set(where, compiled);
    }
    try {
      return compiled(data);
    } catch (error) {
      throw new TemplateDataError(`\`${where}\` could not render: ${firstLine(error)}`, { cause: error });
    }
  };
  const definition = (name: string): TemplateDefinition => {
    if (!Object.hasOwn(options.templates, name))
      throw new TemplateNotFoundError(`no template named \`${name}\``);
    return options.templates[name] as TemplateDefinition;
  };
  const part = <K extends 'email' | 'sms'>(name: string, kind: K, locale: string) => {
    const own = locale === DEFAULT ? undefined : localized.get(name)?.[locale]?.[kind];
    const found = (own ?? definition(name)[kind]) as
      | (K extends 'email' ? EmailTemplate : SmsTemplate)
      | undefined;
    if (found === undefined) throw new TemplateNotFoundError(`template \`${name}\` has no ${kind} part`);
    return found;
  };

  return {
    definition,
    channels(name) {
      const t = definition(name);
      return (['email', 'sms', 'webhook'] as const).filter((c) => t[c] !== undefined);
    },
    localeFor(name, kind, locale) {
      const own = localized.get(name) ?? {};
      return localeChain(locale).find((l) => own[l]?.[kind] !== undefined) ?? DEFAULT;
    },
    renderEmail(name, locale, data) {
      const t = part(name, 'email', locale);
      const where = `templates.${name}${locale === DEFAULT ? '' : `.locales.${locale}`}.email`;
      const subject = run(`${where}.subject`, t.subject, false, data);
      let html = t.html === undefined ? undefined : run(`${where}.html`, t.html, true, data);
      if (html !== undefined && t.layout !== undefined) {
        const layout = options.layouts[t.layout] as string;
        html = run(`layouts.${t.layout}`, layout, true, { ...data, body: html });
      }
      const text = t.text === undefined ? htmlToText(html ?? '') : run(`${where}.text`, t.text, false, data);
      return html === undefined ? { subject, text } : { subject, html, text };
    },
    renderSms(name, locale, data) {
      const t = part(name, 'sms', locale);
      const where = `templates.${name}${locale === DEFAULT ? '' : `.locales.${locale}`}.sms.text`;
      return run(where, t.text, false, data);
    },
  };
}
