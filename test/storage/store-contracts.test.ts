import { consoleStoreContract } from '../helpers/console-contract.js';
import { identityStoreContract } from '../helpers/identity-contract.js';
import { linkStoreContract } from '../helpers/link-contract.js';
import { postgresSuiteOptions } from '../helpers/postgres.js';
import { sharedDatabaseContract } from '../helpers/shared-db-contract.js';
import { postgresFixture, sqliteFixture } from '../helpers/store-fixtures.js';
import { uploadStoreContract } from '../helpers/upload-contract.js';

// The metadata contract runs in metadata-contract.test.ts; these are the other four store interfaces.
const pg = await postgresSuiteOptions();
for (const [name, factory, options] of [['SQLite', sqliteFixture, {}], ['PostgreSQL', postgresFixture, pg]] as const) {
  identityStoreContract(name, factory, options);
  uploadStoreContract(name, factory, options);
  linkStoreContract(name, factory, options);
  consoleStoreContract(name, factory, options);
}
// SQLite's embedded database has one writer per data dir by design; see StoreFixture.second.
sharedDatabaseContract('PostgreSQL', postgresFixture, pg);
