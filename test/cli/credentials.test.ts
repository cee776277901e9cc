import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveClientConfig } from '../../src/cli/client-config.js';
import { resolveCredentials } from '../../src/cli/credentials.js';
import { resolveEndpoint } from '../../src/cli/endpoint.js';
import { CliConfigError } from '../../src/cli/errors.js';
import { parseIni } from '../../src/cli/ini.js';

const CREDENTIALS = `# comment
[default]
aws_access_key_id = DEFAULTKEY
aws_secret_access_key = default/secret+with=chars # not a comment

[alice]
aws_access_key_id=ALICEKEY
aws_secret_access_key=alice-secret
aws_session_token = alice-token

; a profile with half a key pair
[broken]
aws_access_key_id = BROKENKEY
`;

const CONFIG = `[default]
region = eu-west-1

[profile alice]
region = eu-central-1
s3 =
  addressing_style = path

[profile carol]
aws_access_key_id = CAROLKEY
aws_secret_access_key = carol-secret

[bob]
region = ignored-because-no-profile-prefix
`;

describe('credential and region resolution', () => {
  let home: string;
  const env = (extra: Record<string, string> = {}) => ({ HOME: home, ...extra });

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'latchkey-cli-home-'));
    mkdirSync(join(home, '.aws'));
    writeFileSync(join(home, '.aws', 'credentials'), CREDENTIALS);
    writeFileSync(join(home, '.aws', 'config'), CONFIG);
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('reads the default profile and its region from ~/.aws', () => {
    const r = resolveCredentials({}, env());
    assert.deepEqual(r.credentials, { accessKeyId: 'DEFAULTKEY', secretAccessKey: 'default/secret+with=chars # not a comment' });
    assert.equal(r.region, 'eu-west-1');
    assert.equal(r.profile, 'default');
    assert.equal(r.source, 'credentials-file');
  });

  it('environment credentials beat the default profile and AWS_PROFILE', () => {
    const keys = { AWS_ACCESS_KEY_ID: 'ENVKEY', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' };
    for (const extra of [keys, { ...keys, AWS_PROFILE: 'alice' }]) {
      const r = resolveCredentials({}, env(extra));
      assert.deepEqual(r.credentials, { accessKeyId: 'ENVKEY', secretAccessKey: 'env-secret', sessionToken: 'env-token' });
      assert.equal(r.source, 'environment');
    }
    // The profile still supplies the region, as in the aws CLI.
    assert.equal(resolveCredentials({}, env({ ...keys, AWS_PROFILE: 'alice' })).region, 'eu-central-1');
  });

  it('--profile beats environment credentials and AWS_PROFILE', () => {
    const r = resolveCredentials({ profile: 'alice' }, env({ AWS_ACCESS_KEY_ID: 'ENVKEY', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_PROFILE: 'default' }));
    assert.deepEqual(r.credentials, { accessKeyId: 'ALICEKEY', secretAccessKey: 'alice-secret', sessionToken: 'alice-token' });
    assert.equal(r.profile, 'alice');
    assert.equal(r.region, 'eu-central-1');
  });

  it('AWS_PROFILE picks the profile when there are no environment keys', () => {
    const r = resolveCredentials({}, env({ AWS_PROFILE: 'alice' }));
    assert.equal(r.credentials.accessKeyId, 'ALICEKEY');
  });

  it('takes keys from a [profile NAME] section of the config file', () => {
    const r = resolveCredentials({ profile: 'carol' }, env());
    assert.deepEqual(r.credentials, { accessKeyId: 'CAROLKEY', secretAccessKey: 'carol-secret' });
    assert.equal(r.source, 'config-file');
    assert.equal(r.region, 'us-east-1');
  });

  it('a missing profile is a clear error naming it and both files, whether from --profile or AWS_PROFILE', () => {
    for (const [options, extra] of [[{ profile: 'nobody' }, {}], [{}, { AWS_PROFILE: 'nobody' }]] as const) {
      assert.throws(
        () => resolveCredentials(options, env(extra)),
        (e: unknown) =>
          e instanceof CliConfigError &&
          e.message.includes("profile 'nobody' not found") &&
          e.message.includes(join(home, '.aws', 'credentials')) &&
          e.message.includes(join(home, '.aws', 'config')),
      );
    }
    // A config-file section without the "profile " prefix is not a profile.
    assert.throws(() => resolveCredentials({ profile: 'bob' }, env()), /profile 'bob' not found/);
  });

  it('half a key pair is an error, in a profile or in the environment', () => {
    assert.throws(() => resolveCredentials({ profile: 'broken' }, env()), /profile 'broken' in .*credentials has no aws_secret_access_key/);
    assert.throws(() => resolveCredentials({}, env({ AWS_ACCESS_KEY_ID: 'ONLYID' })), /AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/);
    assert.throws(() => resolveCredentials({}, env({ AWS_SECRET_ACCESS_KEY: 'only' })), /AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not/);
  });

  it('no credentials anywhere says how to provide them', () => {
    const empty = mkdtempSync(join(tmpdir(), 'latchkey-cli-empty-'));
    try {
      assert.throws(() => resolveCredentials({}, { HOME: empty }), (e: unknown) => e instanceof CliConfigError && /^no credentials: set AWS_ACCESS_KEY_ID/.test(e.message));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('honours AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE (with ~ expansion)', () => {
    writeFileSync(join(home, 'other-credentials'), '[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = ops-secret\n');
    writeFileSync(join(home, 'other-config'), '[profile ops]\nregion = ap-south-1\n');
    const r = resolveCredentials({ profile: 'ops' }, env({ AWS_SHARED_CREDENTIALS_FILE: '~/other-credentials', AWS_CONFIG_FILE: join(home, 'other-config') }));
    assert.deepEqual(r.credentials, { accessKeyId: 'OPSKEY', secretAccessKey: 'ops-secret' });
    assert.equal(r.region, 'ap-south-1');
    // The default files are not consulted once the variables point elsewhere.
    assert.throws(() => resolveCredentials({ profile: 'alice' }, env({ AWS_SHARED_CREDENTIALS_FILE: '~/other-credentials', AWS_CONFIG_FILE: join(home, 'other-config') })), /not found/);
  });

  it('region: --region, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile, then us-east-1', () => {
    const all = { AWS_REGION: 'r-env', AWS_DEFAULT_REGION: 'r-default' };
    assert.equal(resolveCredentials({ region: 'r-flag' }, env(all)).region, 'r-flag');
    assert.equal(resolveCredentials({}, env(all)).region, 'r-env');
    assert.equal(resolveCredentials({}, env({ AWS_DEFAULT_REGION: 'r-default' })).region, 'r-default');
    assert.equal(resolveCredentials({}, env()).region, 'eu-west-1');
    assert.equal(resolveCredentials({}, { HOME: '/nonexistent', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }).region, 'us-east-1');
    assert.throws(() => resolveCredentials({ region: 'Bad Region' }, env()), /invalid region: Bad Region/);
  });

  it('an unreadable credentials file is reported, not treated as empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-unreadable-'));
    try {
      // A directory where the file should be cannot be read, even by root (who reads any file whatever its mode).
      mkdirSync(join(dir, 'credentials'));
      assert.throws(() => resolveCredentials({}, { HOME: dir, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') }), /cannot read .*credentials/);
      if (process.getuid?.() !== 0) {
        writeFileSync(join(dir, 'locked'), CREDENTIALS);
        chmodSync(join(dir, 'locked'), 0o000);
        assert.throws(() => resolveCredentials({}, { HOME: dir, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'locked') }), /cannot read .*locked/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('endpoint resolution', () => {
  it('--endpoint-url, then LATCHKEY_ENDPOINT, then http://127.0.0.1:9000', () => {
    assert.equal(resolveEndpoint('http://flag:1/', { LATCHKEY_ENDPOINT: 'http://env:2' }), 'http://flag:1');
    assert.equal(resolveEndpoint(undefined, { LATCHKEY_ENDPOINT: 'https://files.example.com' }), 'https://files.example.com');
    assert.equal(resolveEndpoint(undefined, {}), 'http://127.0.0.1:9000');
    assert.equal(resolveEndpoint('http://[::1]:9000', {}), 'http://[::1]:9000');
  });

  it('refuses what cannot be signed against', () => {
    for (const bad of ['127.0.0.1:9000', 'ftp://host', 'http://host/prefix', 'http://host/?x=1', 'http://user:pw@host', 'not a url']) {
      assert.throws(() => resolveEndpoint(bad, {}), CliConfigError, bad);
    }
  });

  it('resolveClientConfig combines endpoint, region and credentials', () => {
    const config = resolveClientConfig(
      { 'endpoint-url': 'http://127.0.0.1:9999', region: 'us-west-2' },
      { HOME: '/nonexistent', AWS_ACCESS_KEY_ID: 'K', AWS_SECRET_ACCESS_KEY: 'S' },
    );
    assert.deepEqual(config, {
      endpoint: 'http://127.0.0.1:9999',
      region: 'us-west-2',
      credentials: { accessKeyId: 'K', secretAccessKey: 'S' },
      profile: 'default',
      source: 'environment',
    });
    assert.throws(() => resolveClientConfig({ 'endpoint-url': 'http://x/y' }, { HOME: '/nonexistent', AWS_ACCESS_KEY_ID: 'K', AWS_SECRET_ACCESS_KEY: 'S' }), CliConfigError);
  });
});

describe('INI parsing', () => {
  it('keeps sections, lower-cases keys, skips comments and nested blocks, keeps # inside values', () => {
    const ini = parseIni('top = ignored\n[a]\r\nKey = v # kept\n  nested = skipped\n# c\n; c\n[ b ]\nx: y\n[a]\nz=1\n');
    assert.deepEqual([...ini.keys()], ['a', 'b']);
    assert.deepEqual(Object.fromEntries(ini.get('a')!), { key: 'v # kept', z: '1' });
    assert.deepEqual(Object.fromEntries(ini.get('b')!), { x: 'y' });
  });
});
