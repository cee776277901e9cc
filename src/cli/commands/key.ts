import { segment, type AccessKey } from '../api-types.js';
import type { CommandGroup } from '../command.js';
import { formatFields, formatJson, formatTable, formatTime } from '../output.js';
import { beforeOption, type RevocationView } from './link.js';

export const KEY_HEADERS = ['ACCESS KEY ID', 'USER', 'STATUS', 'CREATED', 'LAST USED'];
export function keyRows(keys: readonly AccessKey[]): string[][] {
  return keys.map((k) => [k.accessKeyId, k.userName, k.status, formatTime(k.createdAt), formatTime(k.lastUsedAt)]);
}

export const keyCommands: CommandGroup = {
  name: 'key',
  summary: 'manage access keys (at most two per user, for rotation)',
  subcommands: [
    {
      words: ['create'],
      args: ['USER'],
      summary: 'create an access key; the secret is shown this once',
      async run(ctx, [user = '']) {
        const { body } = await ctx
          .client()
          .admin<{ accessKey: AccessKey; secretAccessKey: string }>('POST', `/users/${segment(user)}/access-keys`);
        const { accessKeyId } = body.accessKey;
        if (ctx.json) {
          ctx.print(formatJson({ accessKeyId, secretAccessKey: body.secretAccessKey }));
          return;
        }
        ctx.print(formatFields([['AccessKeyId', accessKeyId], ['SecretAccessKey', body.secretAccessKey]]));
        ctx.note(`Access key for ${body.accessKey.userName}: store the secret now, it cannot be shown again.\n`);
      },
    },
    {
      words: ['list'],
      args: ['[USER]'],
      summary: "list access keys, all or one user's",
      async run(ctx, [user]) {
        const query = user === undefined ? undefined : `user=${encodeURIComponent(user)}`;
        const { body } = await ctx.client().admin<{ accessKeys: AccessKey[] }>('GET', '/access-keys', query ? { query } : {});
        if (ctx.json) ctx.print(formatJson(body.accessKeys));
        else ctx.print(body.accessKeys.length === 0 ? 'No access keys.\n' : formatTable(KEY_HEADERS, keyRows(body.accessKeys)));
      },
    },
    {
      words: ['enable'],
      args: ['ACCESS_KEY_ID'],
      summary: 'make an access key work again',
      async run(ctx, [id = '']) {
        const { body } = await ctx.client().admin<{ accessKey: AccessKey }>('POST', `/access-keys/${segment(id)}/enable`);
        ctx.print(ctx.json ? formatJson(body.accessKey) : `Enabled access key ${body.accessKey.accessKeyId}.\n`);
      },
    },
    {
      words: ['disable'],
      args: ['ACCESS_KEY_ID'],
      summary: 'stop an access key without deleting it',
      async run(ctx, [id = '']) {
        const { body } = await ctx.client().admin<{ accessKey: AccessKey }>('POST', `/access-keys/${segment(id)}/disable`);
        ctx.print(ctx.json ? formatJson(body.accessKey) : `Disabled access key ${body.accessKey.accessKeyId}.\n`);
      },
    },
    {
      words: ['remove'],
      args: ['ACCESS_KEY_ID'],
      summary: 'delete an access key',
      async run(ctx, [id = '']) {
        await ctx.client().admin('DELETE', `/access-keys/${segment(id)}`);
        ctx.print(ctx.json ? formatJson({ accessKeyId: id, removed: true }) : `Removed access key ${id}.\n`);
      },
    },
    {
      words: ['revoke-links'],
      args: ['ACCESS_KEY_ID'],
      requiredOptions: { before: 'TIME' },
      summary: "revoke every pre-signed link the key signed before TIME ('now' or ISO 8601)",
      async run(ctx, [id = ''], options) {
        const before = beforeOption(String(options['before']));
        const { body } = await ctx.client().admin<{ revocation: RevocationView }>('POST', `/access-keys/${segment(id)}/revoke-links`, { json: { before } });
        const r = body.revocation;
        ctx.print(ctx.json ? formatJson(r) : `Revoked every link ${id} signed before ${formatTime(r.before)}.\n`);
      },
    },
  ],
};
