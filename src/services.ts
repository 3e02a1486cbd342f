import type { Db } from './db/client.ts';
import { createApiKeysService } from './modules/apikeys/apikeys.service.ts';
import { createAuthService } from './modules/auth/auth.service.ts';
import { createUsersService } from './modules/users/users.service.ts';
import { createWorkspacesService } from './modules/workspaces/workspaces.service.ts';
import { createPeopleService } from './modules/people/people.service.ts';
import { createCompaniesService } from './modules/companies/companies.service.ts';
import { createFieldsService } from './modules/fields/fields.service.ts';

/** Every service, wired with its dependencies. The HTTP app and the CLI share this one composition. */
export function createServices(db: Db) {
  const auth = createAuthService({ db });
  return {
    auth,
    users: createUsersService({ db, auth }),
    apiKeys: createApiKeysService({ db, auth }),
    workspaces: createWorkspacesService({ db }),
    people: createPeopleService({ db }),
    companies: createCompaniesService({ db }),
    fields: createFieldsService({ db }),
  };
}

export type Services = ReturnType<typeof createServices>;
