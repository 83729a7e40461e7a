/**
 * Case "render + hand to SMTP": the receipt (content.ts) rendered and handed to the SMTP sink by ours
 * (createNotifier + createSmtpProvider, memory store, no rate limit, transactional) and by plain
 * nodemailer with the same handlebars sources compiled once, on the same transport settings, the same
 * data and the same concurrency. Rounds alternate ours, plain, ours, plain, ...; each round is checked
 * against the sink's own count.
 */
import Handlebars from 'handlebars';
import { createTransport } from 'nodemailer';
import { type Built, runConcurrent, transportOptions } from './built.js';
import { FROM, LAYOUTS, PARTIALS, RECEIPT, receiptData, recipient } from './content.js';
import type { SmtpSink } from './sink.js';

/** One side: sends message `i` (under a unique key) and resolves once the server accepted it. */
export interface Sender {
  readonly name: 'ours' | 'plain';
  send(i: number, key: string): Promise<void>;
  close(): Promise<void>;
}

/** Ours: the notifier with the SMTP provider. */
export function oursSender(built: Built, port: number): Sender {
  const smtp = built.smtp.createSmtpProvider({ smtp: transportOptions(port) });
  const notifier = built.notify.createNotifier({
    channels: { email: { providers: [smtp], from: FROM } },
    categories: { transactional: 'transactional' },
    layouts: LAYOUTS,
    partials: PARTIALS,
    templates: { receipt: { category: 'transactional', email: { ...RECEIPT, layout: 'main' } } },
  });
  return {
    name: 'ours',
    async send(i, key) {
      const result = await notifier.send({
        to: recipient(i),
        template: 'receipt',
        data: receiptData(i),
        idempotencyKey: key,
      });
      const status = result.channels[0]?.status;
      if (status !== 'sent') throw new Error(`ours: message ${i} was ${status}, not sent`);
    },
    close: async () => smtp.close?.(),
  };
}

/**
 * Plain nodemailer: a handlebars instance of its own with the same partials, each source compiled once
 * (handlebars compiles on the first call, which the warm-up makes), the body rendered into the layout
 * as the notifier does; subject and text unescaped, as the notifier renders them.
 */
export function plainSender(port: number): Sender {
  const hb = Handlebars.create();
  for (const [name, source] of Object.entries(PARTIALS)) hb.registerPartial(name, source);
  const subject = hb.compile(RECEIPT.subject, { noEscape: true });
  const body = hb.compile(RECEIPT.html);
  const layout = hb.compile(LAYOUTS.main);
  const text = hb.compile(RECEIPT.text, { noEscape: true });
  const transport = createTransport(transportOptions(port));
  return {
    name: 'plain',
    async send(i) {
      const data = receiptData(i);
      const to = recipient(i);
      await transport.sendMail({
        from: FROM,
        to: { name: to.name, address: to.email },
        subject: subject(data),
        html: layout({ ...data, body: body(data) }),
        text: text(data),
      });
    },
    close: async () => transport.close(),
  };
}

/** Sizes of the render case. */
export interface RenderSettings {
  readonly messages: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly concurrency: number;
}

/** One measured run of one side. */
export interface RenderRun {
  readonly perSec: number;
  /** This process's CPU time (user + system) per message: the sender's cost, less exposed to load. */
  readonly cpuUsPerMessage: number;
}

/** Sends `count` messages from `sender`; throws unless the sink received exactly `count` more. */
async function counted(
  sink: SmtpSink,
  sender: Sender,
  count: number,
  concurrency: number,
  tag: string,
): Promise<RenderRun> {
  const before = (await sink.counts()).messages;
  const cpu = process.cpuUsage();
  const ms = await runConcurrent(count, concurrency, (i) => sender.send(i, `${tag}:${i}`));
  const used = process.cpuUsage(cpu);
  const received = (await sink.counts()).messages - before;
  if (received !== count)
    throw new Error(`${sender.name} ${tag}: sent ${count}, the server received ${received}`);
  return { perSec: (count / ms) * 1000, cpuUsPerMessage: (used.user + used.system) / count };
}

/** Each sender's measured runs, one per round (warm-up first, not measured). */
export async function renderRounds(
  sink: SmtpSink,
  senders: readonly Sender[],
  settings: RenderSettings,
  log: (line: string) => void = () => {},
): Promise<Map<Sender['name'], RenderRun[]>> {
  const runs = new Map<Sender['name'], RenderRun[]>(senders.map((s) => [s.name, []]));
  for (const sender of senders) await counted(sink, sender, settings.warmup, settings.concurrency, 'warmup');
  for (let round = 0; round < settings.rounds; round++) {
    const line: string[] = [];
    for (const sender of senders) {
      const run = await counted(sink, sender, settings.messages, settings.concurrency, `round${round}`);
      runs.get(sender.name)?.push(run);
      line.push(
        `${sender.name} ${run.perSec.toFixed(0)} msg/s, ${run.cpuUsPerMessage.toFixed(0)} µs CPU/msg`,
      );
    }
    log(`render round ${round + 1}/${settings.rounds}: ${line.join(', ')}`);
  }
  return runs;
}
