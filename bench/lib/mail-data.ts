/**
 * Support e-mail as customers send it, built as raw RFC 5322 text (so composing costs the load generator almost
 * nothing): mostly new senders, some returning customers, replies threaded with In-Reply-To/References to messages
 * accepted earlier, text + HTML (multipart/alternative) or text only, now and then a small attachment. Seeded.
 */
import crypto from 'node:crypto';
import { asciiWord, pick, prng, type Rand } from './customers-data.ts';
import { emailDomains, firstNames, lastNames } from './names.ts';

export type MailKind = 'new' | 'returning' | 'reply';

export type PlannedMail = {
  kind: MailKind;
  from: string;
  /** Without angle brackets, as Rapport stores it. */
  messageId: string;
  subject: string;
  /** The accepted message this one answers (its Message-ID), for replies. */
  parentId: string | null;
  attachment: boolean;
  raw: string;
};

export type MailMix = { reply: number; returning: number; htmlShare: number; attachmentShare: number };

export const defaultMailMix: MailMix = { reply: 0.25, returning: 0.2, htmlShare: 0.85, attachmentShare: 0.04 };

const subjects = [
  'Order {n} arrived damaged',
  'Where is my order {n}?',
  'Refund for order {n}',
  'Cannot log in to my account',
  'Invoice {n} is wrong',
  'Change of delivery address',
  'Question about the warranty',
  'Wrong size delivered',
  'Charged twice for order {n}',
  'How do I cancel my subscription?',
  'Password reset e-mail never arrives',
  'Missing item in parcel {n}',
  'Do you ship to Portugal?',
  'Product stopped working after a week',
  'Update my billing details',
  'Discount code not accepted',
  'Request for a copy of invoice {n}',
  'Tracking number does not work',
  'Exchange instead of refund',
  'Feedback on your support',
];

const sentences = [
  'I placed the order last week and the tracking page has not changed since Monday.',
  'The box was crushed and one of the mugs inside is broken.',
  'Could you tell me what the next steps are?',
  'I have attached a photo so you can see what I mean.',
  'This is the second time this happens and I am starting to lose patience.',
  'I tried the steps from your help centre but nothing changed.',
  'My account e-mail is the one I am writing from.',
  'Please let me know whether I need to send the item back first.',
  'I would prefer a replacement if that is possible.',
  'The amount on my card statement does not match the invoice.',
  'I moved last month, so the parcel should go to my new address.',
  'Thank you for the quick answer yesterday.',
  'It worked for a few days and then the screen went black.',
  'The code was sent to me in your newsletter and it says it is expired.',
  'Can you check whether the payment went through?',
  'I need the invoice with my company name on it for my accountant.',
  'My order number is in the subject line.',
  'Is there a phone number I can call instead?',
];

/** Now and then what the recommended escalation rules look for. */
const escalations = [
  'If this is not solved this week I will have to talk to my lawyer.',
  'I am disputing the charge with my bank.',
  'I live alone and I am disabled, so I cannot carry the parcel to the post office.',
];

const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const first = [...new Set(firstNames)];
const last = [...new Set(lastNames)];

/** RFC 2047 encoded-word when the text is not plain ASCII. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function address(name: string, email: string): string {
  return `"${headerText(name).replace(/"/g, '')}" <${email}>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A small PDF-looking file (about 12 KB), base64 in lines of 76. */
function attachmentBase64(rand: Rand): string {
  const bytes = Buffer.alloc(12_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  bytes.write('%PDF-1.4\n', 0, 'latin1');
  return (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

type Sender = { name: string; email: string };

export class MailPlan {
  private readonly rand: Rand;
  private readonly tag: string;
  private counter = 0;
  private readonly runSenders: Sender[] = [];
  private readonly accepted: PlannedMail[] = [];
  private readonly attachments: string[];
  private readonly dateMs = Date.now();

  constructor(
    private readonly opts: {
      seed: number;
      supportAddress: string;
      /** Addresses of customers already in the database. */
      customerEmails: string[];
      mix?: MailMix;
    },
  ) {
    this.rand = prng(opts.seed);
    this.tag = crypto.randomBytes(4).toString('hex');
    this.attachments = [0, 1, 2].map(() => attachmentBase64(this.rand));
  }

  private get mix(): MailMix {
    return this.opts.mix ?? defaultMailMix;
  }

  /** Remembers an accepted message: later replies answer accepted messages only (so their parent is stored). */
  acceptedMail(m: PlannedMail): void {
    this.accepted.push(m);
    if (m.kind === 'new') this.runSenders.push({ name: this.nameOf(m), email: m.from });
  }

  private readonly names = new Map<string, string>();
  private nameOf(m: PlannedMail): string {
    return this.names.get(m.from) ?? m.from;
  }

  private newSender(): Sender {
    const f = pick(this.rand, first);
    const l = pick(this.rand, last);
    const n = ++this.counter;
    const email = `${asciiWord(f) || 'x'}.${asciiWord(l) || 'y'}.${this.tag}${n}@${pick(this.rand, emailDomains)}`;
    return { name: `${f} ${l}`, email };
  }

  private returningSender(): Sender | null {
    const fromDb = this.opts.customerEmails.length > 0 && (this.rand() < 0.5 || !this.runSenders.length);
    if (fromDb) {
      const email = pick(this.rand, this.opts.customerEmails);
      return { name: email.split('@')[0] ?? email, email };
    }
    return this.runSenders.length ? pick(this.rand, this.runSenders) : null;
  }

  next(): PlannedMail {
    const r = this.rand();
    const parent = r < this.mix.reply && this.accepted.length ? pick(this.rand, this.accepted) : null;
    let kind: MailKind = 'new';
    let sender: Sender | null = null;
    if (parent) {
      kind = 'reply';
      sender = { name: this.nameOf(parent), email: parent.from };
    } else if (r < this.mix.reply + this.mix.returning) {
      sender = this.returningSender();
      if (sender) kind = 'returning';
    }
    sender ??= this.newSender();
    const n = ++this.counter;
    const domain = sender.email.split('@')[1] ?? 'mail.example';
    const messageId = `bench-${this.tag}-${n}@${domain}`;
    const subject = parent
      ? `Re: ${parent.subject.replace(/^Re: /, '')}`
      : pick(this.rand, subjects).replace('{n}', String(int(this.rand, 10_000, 99_999)));
    const paragraphs: string[] = [];
    const count = int(this.rand, 1, 3);
    for (let i = 0; i < count; i++) {
      const k = int(this.rand, 1, 3);
      paragraphs.push(Array.from({ length: k }, () => pick(this.rand, sentences)).join(' '));
    }
    if (this.rand() < 0.03) paragraphs.push(pick(this.rand, escalations));
    const firstName = sender.name.split(' ')[0] ?? sender.name;
    const text = `Hello,\r\n\r\n${paragraphs.join('\r\n\r\n')}\r\n\r\nBest regards,\r\n${firstName}\r\n`;
    const quoted = parent
      ? `\r\nOn ${new Date(this.dateMs).toUTCString()}, ${parent.from} wrote:\r\n> ${parent.subject}\r\n`
      : '';
    const html =
      `<div dir="ltr"><p>Hello,</p>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}` +
      `<p>Best regards,<br><b>${escapeHtml(firstName)}</b></p></div>`;
    const withHtml = this.rand() < this.mix.htmlShare;
    const attachment = this.rand() < this.mix.attachmentShare;
    const b = `b${this.tag}${n}`;
    const headers = [
      `From: ${address(sender.name, sender.email)}`,
      `To: "Bench Support" <${this.opts.supportAddress}>`,
      `Subject: ${headerText(subject)}`,
      `Date: ${new Date(this.dateMs + n * 1000).toUTCString()}`,
      `Message-ID: <${messageId}>`,
      ...(parent ? [`In-Reply-To: <${parent.messageId}>`, `References: <${parent.messageId}>`] : []),
      'MIME-Version: 1.0',
    ];
    const textPart = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text + quoted];
    const htmlPart = ['Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', html];
    const alternative = (boundary: string) => [
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      ...textPart,
      `--${boundary}`,
      ...htmlPart,
      `--${boundary}--`,
    ];
    let body: string[];
    if (attachment) {
      body = [
        `Content-Type: multipart/mixed; boundary="${b}m"`,
        '',
        `--${b}m`,
        ...(withHtml ? alternative(`${b}a`) : textPart),
        `--${b}m`,
        'Content-Type: application/pdf; name="photo-of-the-parcel.pdf"',
        'Content-Disposition: attachment; filename="photo-of-the-parcel.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        pick(this.rand, this.attachments),
        `--${b}m--`,
      ];
    } else body = withHtml ? alternative(`${b}a`) : textPart;
    const raw = `${[...headers, ...body].join('\r\n')}\r\n`;
    const mail: PlannedMail = {
      kind,
      from: sender.email,
      messageId,
      subject,
      parentId: parent?.messageId ?? null,
      attachment,
      raw,
    };
    if (kind === 'new') this.names.set(sender.email, sender.name);
    return mail;
  }
}
