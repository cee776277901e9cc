import { metadataStoreContract } from '../helpers/metadata-contract.js';
import { postgresSuiteOptions } from '../helpers/postgres.js';
import { postgresFixture, sqliteFixture } from '../helpers/store-fixtures.js';

metadataStoreContract('SQLite', sqliteFixture);
metadataStoreContract('PostgreSQL', postgresFixture, await postgresSuiteOptions());
