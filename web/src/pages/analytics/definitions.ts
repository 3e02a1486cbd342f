/**
 * What each number on the dashboard is, in a sentence: the short form of docs/metrics.md, shown next to the number.
 */
import type { MetricKey } from '../../api/metrics.ts';

export type MetricDef = {
  label: string;
  kind: 'money' | 'count' | 'share' | 'number' | 'days' | 'duration' | 'points';
  /** Whether a rise is good news (colours the change). */
  higherIsBetter: boolean;
  definition: string;
};

export const metricDefs: Record<MetricKey, MetricDef> = {
  revenue: {
    label: 'Revenue',
    kind: 'money',
    higherIsBetter: true,
    definition: 'Net amount (after refunds) of the orders placed in the period; refunded and canceled orders count 0.',
  },
  orders: {
    label: 'Orders',
    kind: 'count',
    higherIsBetter: true,
    definition: 'Orders placed in the period, not counting fully refunded or canceled ones.',
  },
  activeCustomers: {
    label: 'Active customers',
    kind: 'count',
    higherIsBetter: true,
    definition: 'People with at least one counted order placed in the period.',
  },
  averageOrderValue: {
    label: 'Average order value',
    kind: 'money',
    higherIsBetter: true,
    definition: 'Revenue divided by the number of counted orders of the period.',
  },
  purchaseFrequency: {
    label: 'Purchase frequency',
    kind: 'number',
    higherIsBetter: true,
    definition: 'Counted orders per active customer in the period.',
  },
  repeatPurchaseRate: {
    label: 'Repeat purchase rate',
    kind: 'share',
    higherIsBetter: true,
    definition: 'Of the customers who bought in the period, the share who bought at least twice in it.',
  },
  retentionRate: {
    label: 'Retention rate',
    kind: 'share',
    higherIsBetter: true,
    definition: 'Of the customers active in the previous period (same length, just before), the share active again.',
  },
  churnRate: {
    label: 'Churn rate',
    kind: 'share',
    higherIsBetter: false,
    definition:
      'Of the customers who had bought within the churn window before the period, the share who did not buy in it ' +
      'and whose last order is now older than the window.',
  },
  subscriptionChurnRate: {
    label: 'Subscription churn',
    kind: 'share',
    higherIsBetter: false,
    definition: 'Of the subscriptions active when the period began, the share canceled during it.',
  },
  historicalClv: {
    label: 'Customer lifetime value',
    kind: 'money',
    higherIsBetter: true,
    definition: 'Historical: net revenue to date of everyone who has bought, divided by their number.',
  },
  tenure: {
    label: 'Tenure',
    kind: 'days',
    higherIsBetter: true,
    definition: 'Average whole days since their first order, over the customers active in the period.',
  },
  firstResponseTime: {
    label: 'First response time',
    kind: 'duration',
    higherIsBetter: false,
    definition: 'Median business time to the first reply, over the tickets created in the period.',
  },
  resolutionTime: {
    label: 'Resolution time',
    kind: 'duration',
    higherIsBetter: false,
    definition: 'Median business time to resolution, over the tickets resolved in the period.',
  },
  nps: {
    label: 'NPS',
    kind: 'points',
    higherIsBetter: true,
    definition:
      'Per cent promoters (9–10) minus per cent detractors (0–6) of the NPS answers of the period. Empty until ' +
      'feedback is collected.',
  },
  csat: {
    label: 'CSAT',
    kind: 'share',
    higherIsBetter: true,
    definition: 'Share of satisfaction answers scoring 4 or 5 of 5. Empty until feedback is collected.',
  },
};

/** The tiles, in the order shown. */
export const tileOrder: MetricKey[] = [
  'revenue',
  'activeCustomers',
  'orders',
  'averageOrderValue',
  'repeatPurchaseRate',
  'retentionRate',
  'churnRate',
  'historicalClv',
  'purchaseFrequency',
  'tenure',
  'subscriptionChurnRate',
  'firstResponseTime',
  'resolutionTime',
  'nps',
  'csat',
];
