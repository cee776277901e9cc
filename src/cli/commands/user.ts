import { segment, type AccessKey, type User } from '../api-types.js';
import type { CommandGroup } from '../command.js';
import { formatFields, formatJson, formatList, formatTable, formatTime } from '../output.js';
import { keyRows, KEY_HEADERS } from './key.js';

export function userRows(users: readonly User[]): string[][] {
  return users.map((u) => [u.name, u.status, formatList(u.policies), formatTime(u.createdAt)]);
}
export const USER_HEADERS = ['NAME', 'STATUS', 'POLICIES', 'CREATED'];

export const userCommands: CommandGroup = {
  name: 'user',
  summary: 'manage users',
  subcommands: [
    {
      words: ['add'],
      args: ['NAME'],
      summary: 'create a user (no keys, no policies yet)',
      async run(ctx, [name = '']) {
        const { body } = await ctx.client().admin<{ user: User }>('POST', '/users', { json: { name } });
        ctx.print(ctx.json ? formatJson(body.user) : `Created user ${body.user.name}.\n`);
      },
    },
    {
      words: ['list'],
      args: [],
      summary: 'list users',
      async run(ctx) {
        const { body } = await ctx.client().admin<{ users: User[] }>('GET', '/users');
        if (ctx.json) ctx.print(formatJson(body.users));
        else ctx.print(body.users.length === 0 ? 'No users.\n' : formatTable(USER_HEADERS, userRows(body.users)));
      },
    },
    {
      words: ['info'],
      args: ['NAME'],
      summary: "show a user, its policies and its access keys",
      async run(ctx, [name = '']) {
        const { body } = await ctx.client().admin<{ user: User; accessKeys: AccessKey[] }>('GET', `/users/${segment(name)}`);
        if (ctx.json) {
          ctx.print(formatJson({ ...body.user, accessKeys: body.accessKeys }));
          return;
        }
        const { user, accessKeys } = body;
        let text = formatFields([
          ['Name', user.name],
          ['Status', user.status],
          ['Created', formatTime(user.createdAt)],
          ['Policies', formatList(user.policies)],
        ]);
        text += '\n' + (accessKeys.length === 0 ? 'No access keys.\n' : formatTable(KEY_HEADERS, keyRows(accessKeys)));
        ctx.print(text);
      },
    },
    {
      words: ['remove'],
      args: ['NAME'],
      summary: 'delete a user with its access keys',
      async run(ctx, [name = '']) {
        await ctx.client().admin('DELETE', `/users/${segment(name)}`);
        ctx.print(ctx.json ? formatJson({ name, removed: true }) : `Removed user ${name} and its access keys.\n`);
      },
    },
    {
      words: ['enable'],
      args: ['NAME'],
      summary: "let a user's access keys work again",
      async run(ctx, [name = '']) {
        const { body } = await ctx.client().admin<{ user: User }>('POST', `/users/${segment(name)}/enable`);
        ctx.print(ctx.json ? formatJson(body.user) : `Enabled user ${body.user.name}.\n`);
      },
    },
    {
      words: ['disable'],
      args: ['NAME'],
      summary: "stop every access key of a user at once",
      async run(ctx, [name = '']) {
        const { body } = await ctx.client().admin<{ user: User }>('POST', `/users/${segment(name)}/disable`);
        ctx.print(ctx.json ? formatJson(body.user) : `Disabled user ${body.user.name}: its access keys no longer work.\n`);
      },
    },
  ],
};
