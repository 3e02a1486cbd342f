import path from 'node:path';
import type { Db } from './db/client.ts';
import { createApiKeysService } from './modules/apikeys/apikeys.service.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { createWorkspacesService } from './modules/workspaces/workspaces.service.ts';
import { createPeopleService } from './modules/people/people.service.ts';
import { createCompaniesService } from './modules/companies/companies.service.ts';
import { createFieldsService } from './modules/fields/fields.service.ts';
import { createWebhooksService } from './modules/webhooks/webhooks.service.ts';
import { createImportsService } from './modules/imports/imports.service.ts';
import { createExportService } from './modules/imports/export.service.ts';
import { createDuplicatesService } from './modules/duplicates/duplicates.service.ts';
import { createViewsService } from './modules/views/views.service.ts';
import { createBulkService } from './modules/bulk/bulk.service.ts';
import { createJobsService } from './modules/jobs/jobs.service.ts';
import { createTicketsService } from './modules/tickets/tickets.service.ts';
import { createChannelsService } from './modules/channels/channels.service.ts';
import { createTeamsService } from './modules/teams/teams.service.ts';
import { createSlaService } from './modules/sla/sla.service.ts';
import { createRulesService } from './modules/rules/rules.service.ts';
import { createKbService } from './modules/kb/kb.service.ts';
import { createChatService } from './modules/chat/chat.service.ts';
import { createLocalBus, type RealtimeBus } from './realtime/bus.ts';
import { createMacrosService } from './modules/macros/macros.service.ts';
import { createSopsService } from './modules/sops/sops.service.ts';
import { createProductsService } from './modules/commerce/products.service.ts';
import { createOrdersService } from './modules/commerce/orders.service.ts';
import { createSubscriptionsService } from './modules/commerce/subscriptions.service.ts';
import { createMetricsService } from './modules/metrics/metrics.service.ts';
import { createPredictionsService } from './modules/predictions/predictions.service.ts';

/** Every service, wired with its dependencies. The HTTP app and the CLI share this one composition. */
export function createServices(db: Db, opts: { dataDir?: string; realtime?: RealtimeBus } = {}) {
  // Ticket changes are announced on it; LISTEN/NOTIFY across instances on PostgreSQL (createRealtimeBus).
  const realtime = opts.realtime ?? createLocalBus();
  const auth = createAuthService({ db });
  const people = createPeopleService({ db });
  const companies = createCompaniesService({ db });
  // Uploaded import files live under the data directory, on PostgreSQL too.
  const dataDir = path.resolve(opts.dataDir ?? process.env.RAPPORT_DATA_DIR ?? './data');
  const tickets = createTicketsService({ db, dataDir, realtime });
  const orders = createOrdersService({ db });
  return {
    auth,
    users: createUsersService({ db, auth }),
    apiKeys: createApiKeysService({ db, auth }),
    workspaces: createWorkspacesService({ db }),
    people,
    companies,
    fields: createFieldsService({ db }),
    webhooks: createWebhooksService({ db }),
    imports: createImportsService({ db, dataDir }),
    exports: createExportService({ db, people, companies, orders }),
    duplicates: createDuplicatesService({ db }),
    views: createViewsService({ db }),
    bulk: createBulkService({ db, people, companies }),
    jobs: createJobsService({ db }),
    tickets,
    chat: createChatService({ db, tickets, people }),
    channels: createChannelsService({ db, tickets }),
    teams: createTeamsService({ db }),
    sla: createSlaService({ db }),
    rules: createRulesService({ db }),
    kb: createKbService({ db }),
    macros: createMacrosService({ db, dataDir }),
    sops: createSopsService({ db }),
    products: createProductsService({ db }),
    orders,
    subscriptions: createSubscriptionsService({ db }),
    metrics: createMetricsService({ db }),
    predictions: createPredictionsService({ db }),
    dataDir,
    realtime,
  };
}

export type Services = ReturnType<typeof createServices>;
