import {
  IconActivity,
  IconBolt,
  IconChecklist,
  IconBuilding,
  IconBuildingSkyscraper,
  IconCopy,
  IconForms,
  IconBook2,
  IconBrain,
  IconChartBar,
  IconCrystalBall,
  IconDevices,
  IconGift,
  IconHome,
  IconInbox,
  IconKey,
  IconClock,
  IconMessageBolt,
  IconMail,
  IconMessageStar,
  IconReceipt,
  IconSpeakerphone,
  IconUserCircle,
  IconUsers,
  IconUsersGroup,
  IconWebhook,
  type Icon,
} from '@tabler/icons-react';
import type { Permission } from '../api/types.ts';

export type PageDef = {
  path: string;
  label: string;
  description: string;
  icon: Icon;
  keywords: string[];
  /** Hidden when the signed-in user lacks it. */
  permission?: Permission;
  /** Keys after "g" that jump here. */
  hotkey?: string;
};

export const homePage: PageDef = {
  path: '/',
  label: 'Home',
  description: 'Overview of your workspace and recent activity',
  icon: IconHome,
  keywords: ['dashboard', 'overview', 'start'],
  hotkey: 'h',
};

export const customerPages: PageDef[] = [
  {
    path: '/people',
    label: 'People',
    description: 'Every customer and lead, filtered and sorted as you like',
    icon: IconUsersGroup,
    keywords: ['customers', 'contacts', 'leads', 'list', 'crm'],
    permission: 'customers:read',
    hotkey: 'c',
  },
  {
    path: '/companies',
    label: 'Companies',
    description: 'The organisations your people work for',
    icon: IconBuildingSkyscraper,
    keywords: ['accounts', 'organisations', 'organizations', 'businesses'],
    permission: 'customers:read',
    hotkey: 'o',
  },
  {
    path: '/orders',
    label: 'Orders',
    description: 'What customers bought, paid and got back: status, totals, refunds',
    icon: IconReceipt,
    keywords: ['commerce', 'purchases', 'sales', 'refunds', 'revenue', 'transactions', 'shop'],
    permission: 'customers:read',
    hotkey: 'm',
  },
  {
    path: '/people/duplicates',
    label: 'Duplicates',
    description: 'Likely duplicate people and companies, merged field by field',
    icon: IconCopy,
    keywords: ['merge', 'dedupe', 'deduplicate', 'same', 'twins'],
    permission: 'customers:write',
  },
];

export const servicePages: PageDef[] = [
  {
    path: '/inbox',
    label: 'Inbox',
    description: 'Tickets from e-mail, calls and integrations: queues, replies, SLAs',
    icon: IconInbox,
    keywords: ['tickets', 'support', 'help desk', 'helpdesk', 'service', 'email', 'queue', 'conversations'],
    permission: 'tickets:read',
    hotkey: 'i',
  },
  {
    path: '/kb',
    label: 'Knowledge base',
    description: 'Help articles: the public help centre and suggestions in the inbox',
    icon: IconBook2,
    keywords: ['articles', 'help centre', 'help center', 'faq', 'docs', 'documentation', 'self-service'],
    permission: 'tickets:read',
    hotkey: 'b',
  },
  {
    path: '/analytics',
    label: 'Analytics',
    description: 'Retention, churn, repeat purchase, lifetime value, cohorts and RFM, against the period before',
    icon: IconChartBar,
    keywords: ['dashboard', 'metrics', 'kpi', 'retention', 'churn', 'cohorts', 'rfm', 'clv', 'revenue', 'reports'],
    permission: 'analytics:read',
    hotkey: 'y',
  },
  {
    path: '/predictions',
    label: 'Predictions',
    description: 'Predictive CLV and P(alive): high value at risk, likely to buy, probably gone',
    icon: IconCrystalBall,
    keywords: ['clv', 'lifetime value', 'churn', 'at risk', 'win back', 'bg/nbd', 'model', 'forecast', 'intelligence'],
    permission: 'analytics:read',
    hotkey: 'v',
  },
];

export const settingsPages: PageDef[] = [
  {
    path: '/settings/workspace',
    label: 'Workspace',
    description: 'Name and time zone',
    icon: IconBuilding,
    keywords: ['settings', 'timezone', 'rename', 'organisation'],
    hotkey: 'w',
  },
  {
    path: '/settings/users',
    label: 'Users & roles',
    description: 'People, roles and what each role may do',
    icon: IconUsers,
    keywords: ['settings', 'team', 'people', 'members', 'invite', 'permissions'],
    permission: 'users:read',
    hotkey: 'u',
  },
  {
    path: '/settings/api-keys',
    label: 'API keys',
    description: 'Keys for scripts and integrations',
    icon: IconKey,
    keywords: ['settings', 'tokens', 'integrations', 'developers'],
    permission: 'apikeys:manage',
    hotkey: 'k',
  },
  {
    path: '/settings/sessions',
    label: 'Sessions',
    description: 'Devices signed in to your account',
    icon: IconDevices,
    keywords: ['settings', 'devices', 'security', 'sign out'],
    hotkey: 'd',
  },
  {
    path: '/settings/custom-fields',
    label: 'Custom fields',
    description: 'Your own fields on people, companies and tickets',
    icon: IconForms,
    keywords: ['settings', 'fields', 'attributes', 'properties', 'schema', 'ticket fields'],
    permission: 'workspace:manage',
    hotkey: 'f',
  },
  {
    path: '/settings/channels',
    label: 'Channels',
    description: 'Support mailboxes and other ways customers reach you',
    icon: IconMail,
    keywords: ['settings', 'email', 'mailbox', 'smtp', 'inbound', 'channels', 'support address'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/teams',
    label: 'Teams',
    description: 'Groups of agents that tickets are routed to',
    icon: IconUsersGroup,
    keywords: ['settings', 'teams', 'groups', 'agents', 'routing'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/sla',
    label: 'Service levels',
    description: 'SLA policies and business hours',
    icon: IconClock,
    keywords: ['settings', 'sla', 'targets', 'response time', 'resolution', 'business hours', 'calendar', 'holidays'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/rules',
    label: 'Rules & escalation',
    description: 'Automatic actions and escalations on tickets',
    icon: IconBolt,
    keywords: ['settings', 'rules', 'automation', 'triggers', 'escalation', 'routing', 'legal', 'vulnerable'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/macros',
    label: 'Macros',
    description: 'Canned replies with placeholders that also set ticket fields',
    icon: IconMessageBolt,
    keywords: ['settings', 'macros', 'canned responses', 'templates', 'saved replies', 'snippets'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/sop-checklists',
    label: 'SOP checklists',
    description: 'The steps every ticket of a type goes through',
    icon: IconChecklist,
    keywords: ['settings', 'sop', 'checklists', 'procedures', 'steps', 'ticket types'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/webhooks',
    label: 'Webhooks',
    description: 'Send events to your systems as they happen',
    icon: IconWebhook,
    keywords: ['settings', 'integrations', 'developers', 'events', 'http', 'callbacks', 'deliveries'],
    permission: 'workspace:manage',
  },
  {
    path: '/settings/activity',
    label: 'Activity log',
    description: 'Everything that happened in the workspace',
    icon: IconActivity,
    keywords: ['settings', 'audit', 'events', 'history', 'log'],
    permission: 'events:read',
    hotkey: 'a',
  },
  {
    path: '/settings/profile',
    label: 'My profile',
    description: 'Your name and password',
    icon: IconUserCircle,
    keywords: ['account', 'password', 'me', 'name'],
    hotkey: 'p',
  },
];

export const comingSoon: Array<{ label: string; icon: Icon; description: string }> = [
  { label: 'Campaigns', icon: IconSpeakerphone, description: 'Segments and outreach' },
  { label: 'Feedback', icon: IconMessageStar, description: 'Surveys, NPS and reviews' },
  { label: 'Loyalty', icon: IconGift, description: 'Points, tiers and rewards' },
  { label: 'Intelligence', icon: IconBrain, description: 'Churn risk and next best action' },
];

export function allowed(page: PageDef, permissions: readonly Permission[]): boolean {
  return !page.permission || permissions.includes(page.permission);
}
