/**
 * Demo service desk: teams, a support mailbox, a business-hours calendar with SLA policies, macros, SOP checklists per
 * ticket type, two ticket fields (order number, product area), and ~40 tickets from the demo customers across e-mail, phone and the API — threads with replies,
 * internal notes, pending and solved ones, checklists partly ticked.
 * Made through the services, so tickets, messages, SLA clocks and timeline events are exactly what real use makes.
 */
import type { Db } from '../db/client.ts';
import type { Actor } from '../domain/permissions.ts';
import type { Services } from '../services.ts';
import { seededRandom } from './demo-customers.ts';

type Script = {
  type: string;
  /** The "Product area" ticket field agents fill in. */
  area: string;
  /** The "Order number" ticket field, when the customer gave one. */
  order?: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  subject: string;
  text: string;
  reply?: string;
  followUp?: string;
  note?: string;
  tags?: string[];
};

const scripts: Script[] = [
  {
    type: 'return_refund',
    priority: 'normal',
    area: 'Clothing',
    order: '10482',
    subject: 'Return for the trail jacket (order 10482)',
    text: 'Hi, the jacket is too small. How do I send it back and get a refund?',
    reply: 'Hi! I have emailed you a prepaid return label. The refund goes out as soon as the parcel reaches us.',
    followUp: 'Thanks, it is on its way.',
    tags: ['returns'],
  },
  {
    type: 'complaint',
    priority: 'high',
    area: 'Camping gear',
    order: '10517',
    subject: 'Tent arrived with a torn flysheet',
    text: 'I am really disappointed: the flysheet has a 10 cm tear and we leave for the Alps on Friday.',
    note: 'Photos look like transport damage. Courier claim opened.',
    reply: 'I am so sorry. A replacement tent ships today by express, you will have it on Thursday.',
    tags: ['damaged', 'courier'],
  },
  {
    type: 'billing',
    priority: 'high',
    area: 'Payments',
    order: '10533',
    subject: 'Charged twice for one order',
    text: 'My card statement shows two charges of €129.90 for the same order. Please refund one.',
    note: 'Payment provider shows an authorisation and a capture; the authorisation drops in 5 days.',
    tags: ['payments'],
  },
  {
    type: 'technical',
    priority: 'normal',
    area: 'Account & website',
    subject: 'Cannot sign in to my account',
    text: 'The password reset link says it has expired, every time I click it.',
    reply: 'The links were expiring too early; we fixed it this morning. Could you try once more?',
    followUp: 'It works now, thank you!',
  },
  {
    type: 'question',
    priority: 'low',
    area: 'Delivery',
    subject: 'Do you ship to the Azores?',
    text: 'Hello, do you deliver to Ponta Delgada, and how long does it take?',
    reply: 'Yes, we do: 3 to 5 working days, shipping is €6.90.',
  },
  {
    type: 'question',
    priority: 'normal',
    area: 'Clothing',
    subject: 'Sizing of the merino base layer',
    text: 'I am 182 cm and 75 kg: M or L for the merino base layer?',
  },
  {
    type: 'complaint',
    priority: 'urgent',
    area: 'Camping gear',
    order: '10391',
    subject: 'Stove leaking gas — please advise urgently',
    text: 'The camping stove smells of gas near the valve even when off. I stopped using it.',
    note: 'Safety case: escalated to product safety, batch number requested.',
    tags: ['safety'],
  },
  {
    type: 'return_refund',
    priority: 'normal',
    area: 'Footwear',
    order: '10560',
    subject: 'Exchange boots for a bigger size',
    text: 'Can I exchange my hiking boots (42) for a 43?',
    reply: 'Of course: send them back with the label in the box and we ship the 43 as soon as they arrive.',
    followUp: 'Great, I will post them tomorrow.',
    tags: ['returns', 'exchange'],
  },
];

export type DemoDeskCounts = {
  tickets: number;
  teams: number;
  policies: number;
  macros: number;
  sops: number;
  ticketFields: number;
};

/** The ticket fields of the demo desk: what agents record on a ticket besides its type. */
const ticketFields = [
  { label: 'Order number', type: 'text' as const },
  {
    label: 'Product area',
    type: 'select' as const,
    options: ['Clothing', 'Footwear', 'Camping gear', 'Delivery', 'Payments', 'Account & website'],
  },
];

/** The procedures agents follow per ticket type; billing tickets cannot be solved before the required steps. */
const sops: Array<{ type: string; blockSolve?: boolean; steps: Array<{ text: string; required?: boolean }> }> = [
  {
    type: 'return_refund',
    steps: [
      { text: 'Find the order and check it is within the 30-day return window', required: true },
      { text: 'Send the prepaid return label', required: true },
      { text: 'Refund or ship the exchange once the parcel is scanned', required: true },
    ],
  },
  {
    type: 'complaint',
    steps: [
      { text: 'Acknowledge and apologise within the first reply', required: true },
      { text: 'Ask for photos when goods are damaged' },
      { text: 'Open a courier claim for transport damage' },
      { text: 'Offer a replacement or refund', required: true },
    ],
  },
  {
    type: 'billing',
    blockSolve: true,
    steps: [
      { text: 'Verify the customer (last four digits of the card)', required: true },
      { text: 'Check the payment provider for the charge', required: true },
      { text: 'Tell the customer when the money is back' },
    ],
  },
  {
    type: 'technical',
    steps: [{ text: 'Reproduce the problem', required: true }, { text: 'Link the engineering issue' }],
  },
];

function demoMacros(teams: { billing: string | undefined; returns: string | undefined }) {
  return [
    {
      name: 'Refund approved',
      description: 'The return arrived and passed the check',
      body: 'Hi {{customer.first_name|there}},\n\nyour return for ticket #{{ticket.number}} arrived and your refund is on its way: it shows on your statement within 5 working days.\n\nBest wishes,\n{{agent.first_name|The team}} at {{workspace.name}}',
      actions: { status: 'solved' as const, addTags: ['refunded'] },
    },
    {
      name: 'Ask for the order number',
      description: 'We cannot find the order from the e-mail address',
      body: 'Hi {{customer.first_name|there}},\n\nthanks for getting in touch. Could you send us your order number (it starts with 10 and is in your confirmation e-mail)? Then we can look into it straight away.\n\n{{agent.first_name|The team}}',
      actions: { status: 'pending' as const },
    },
    {
      name: 'Damaged in transit: replacement',
      description: 'Goods arrived broken; a replacement ships by express',
      body: 'Hi {{customer.first_name|there}},\n\nI am so sorry your order arrived damaged. A replacement ships today by express, and there is no need to send anything back.\n\n{{agent.name|The team}}',
      actions: {
        type: 'complaint',
        priority: 'high' as const,
        addTags: ['damaged', 'courier'],
        status: 'pending' as const,
      },
    },
    {
      name: 'Escalate to billing',
      description: 'Hand a payment question to the billing team with a note',
      body: 'Escalated by {{agent.name|an agent}}: {{customer.name|the customer}} asks about a charge ({{ticket.subject}}). Please check the payment provider.',
      internal: true,
      actions: { teamId: teams.billing ?? null, type: 'billing', priority: 'high' as const, assigneeId: null },
    },
    {
      name: 'Take it and start',
      description: 'Assign to me and mark open (no message)',
      body: '',
      actions: { assigneeId: 'me', status: 'open' as const },
    },
    {
      name: 'Exchange: send the label',
      description: 'Return label for a size exchange',
      body: 'Hi {{customer.first_name|there}},\n\nthe prepaid return label is attached to this e-mail. Put the item back in its box and we ship the new size as soon as the courier scans the parcel.\n\n{{agent.first_name|The team}} at {{workspace.name}}',
      actions: {
        teamId: teams.returns ?? null,
        type: 'return_refund',
        addTags: ['exchange'],
        status: 'pending' as const,
      },
    },
  ];
}

export async function createDemoDesk(
  _db: Db,
  services: Services,
  owner: Actor,
  opts: { slug: string; agents: Actor[] },
): Promise<DemoDeskCounts> {
  const r = seededRandom(4242);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const teamIds: string[] = [];
  for (const [name, description] of [
    ['Support', 'Questions and technical problems'],
    ['Billing', 'Payments, invoices and refunds'],
    ['Returns', 'Returns and exchanges'],
  ] as const) {
    const t = await services.teams.create(owner, {
      name,
      description,
      memberIds: opts.agents.map((a) => a.userId).filter((x): x is string => Boolean(x)),
    });
    teamIds.push(t.id);
  }
  const address = opts.slug === 'demo' ? 'support@northwind.example' : `support-${opts.slug}@northwind.example`;
  const channel = await services.channels.create(owner, {
    kind: 'email',
    name: 'Support mailbox',
    address,
    teamId: teamIds[0] ?? null,
    settings: { fromName: 'Northwind Support' },
  });
  const calendar = await services.sla.createCalendar(owner, {
    name: 'Lisbon office',
    timeZone: 'Europe/Lisbon',
    weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '18:00' })),
    holidays: [
      { date: '2026-12-08', name: 'Imaculada Conceição' },
      { date: '2026-12-25', name: 'Natal' },
      { date: '2027-01-01', name: 'Ano Novo' },
    ],
  });
  await services.sla.createPolicy(owner, {
    name: 'Urgent and high',
    position: 0,
    conditions: [{ field: 'priority', op: 'in', value: ['urgent', 'high'] }],
    targets: { first_response: 60, next_response: 120, resolution: 480 },
    warnBeforeMinutes: 15,
  });
  await services.sla.createPolicy(owner, {
    name: 'Standard (business hours)',
    position: 1,
    calendarId: calendar.id,
    targets: { first_response: 240, next_response: 480, resolution: 2400 },
    warnBeforeMinutes: 60,
  });

  // Legal threats, vulnerable customers and billing disputes are escalated to the Support team from the first message.
  await services.rules.addRecommended(owner, { teamId: teamIds[0] });
  // Time rules: the two most desks start with.
  await services.rules.create(owner, {
    name: 'Pending for 3 days: solve',
    trigger: 'ticket.time_elapsed',
    delay: { since: 'status_changed', hours: 72 },
    conditions: [{ field: 'status', op: 'is', value: 'pending' }],
    actions: [
      { type: 'set_status', value: 'solved' },
      { type: 'add_note', text: 'Solved automatically: no answer from the customer for three days.' },
    ],
  });
  await services.rules.create(owner, {
    name: 'Unanswered for 4 hours: raise priority',
    trigger: 'ticket.time_elapsed',
    delay: { since: 'last_customer_message', hours: 4 },
    conditions: [
      { field: 'status', op: 'in', value: ['new', 'open'] },
      { field: 'priority', op: 'in', value: ['low', 'normal'] },
    ],
    actions: [
      { type: 'set_priority', value: 'high' },
      { type: 'add_tags', tags: ['waiting'] },
    ],
  });
  for (const sop of sops)
    await services.sops.put(owner, sop.type, { steps: sop.steps, blockSolve: sop.blockSolve ?? false });
  for (const f of ticketFields) await services.fields.create(owner, { entity: 'ticket', ...f });
  const macros = demoMacros({ billing: teamIds[1], returns: teamIds[2] });
  for (const m of macros) await services.macros.create(owner, m);

  const people = (await services.people.list(owner, { limit: 200, filter: 'stage:in:customer|loyal|at_risk' })).rows
    .map((x) => x.person)
    .filter((p) => p.emails.length > 0);
  let tickets = 0;
  for (let i = 0; i < 40 && people.length; i++) {
    const person = people[(i * 7) % people.length];
    if (!person) continue;
    const s = scripts[i % scripts.length] as Script;
    const agent = pick(opts.agents);
    let ticketId: string;
    if (i % 5 === 4) {
      // A phone call logged by an agent.
      const t = await services.tickets.create(agent, {
        subject: s.subject,
        requester: { personId: person.id },
        channel: 'phone',
        text: `Called: ${s.text}`,
        type: s.type,
        priority: s.priority,
        tags: s.tags,
      });
      ticketId = t.id;
    } else {
      const messageId = `demo-${i}-${person.id}@mail.example`;
      const res = await services.tickets.receive({
        channel,
        from: { email: person.emails[0], name: person.displayName },
        subject: s.subject,
        text: s.text,
        emailMessageId: messageId,
        ticket: { type: s.type, priority: s.priority, tags: s.tags },
      });
      if (res.outcome === 'ignored') continue;
      ticketId = res.ticket.id;
    }
    tickets++;
    const teamId = s.type === 'billing' ? teamIds[1] : s.type === 'return_refund' ? teamIds[2] : teamIds[0];
    // Agents fill in the ticket fields on most tickets: the product area, and the order number when there is one.
    const custom = {
      ...(i % 6 !== 5 ? { product_area: s.area } : {}),
      ...(s.order && i % 3 !== 2 ? { order_number: String(Number(s.order) + i) } : {}),
    };
    await services.tickets.update(owner, ticketId, {
      teamId: teamId ?? null,
      ...(i % 3 ? { assigneeId: agent.userId } : {}),
      ...(Object.keys(custom).length ? { custom } : {}),
    });
    if (s.note) await services.tickets.reply(agent, ticketId, { text: s.note, internal: true });
    // Agents have worked through the first steps of most checklists.
    const checklist = await services.sops.checklist(agent, ticketId);
    for (const step of checklist.steps.slice(0, i % 3)) await services.sops.setStep(agent, ticketId, step.id, true);
    if (s.reply && i % 4 !== 3) {
      // Replies wait in the outbox of a demo without a mail server: they show as "not sent" with the reason.
      await services.tickets.reply(agent, ticketId, { text: s.reply, status: s.followUp ? 'pending' : 'solved' });
      if (s.followUp) {
        const detail = await services.tickets.get(owner, ticketId);
        const last = detail.messages.at(-1);
        await services.tickets.receive({
          channel,
          from: { email: person.emails[0], name: person.displayName },
          subject: `Re: ${s.subject}`,
          text: s.followUp,
          replyTo: last?.emailMessageId ? [last.emailMessageId] : [],
          emailMessageId: `demo-${i}-reply-${person.id}@mail.example`,
        });
        if (i % 16 === 0) await services.tickets.update(agent, ticketId, { status: 'solved' });
      }
    }
  }
  return {
    tickets,
    teams: teamIds.length,
    policies: 2,
    macros: macros.length,
    sops: sops.length,
    ticketFields: ticketFields.length,
  };
}
