import { segment, type Policy, type User } from '../api-types.js';
import type { CommandGroup } from '../command.js';
import { formatFields, formatJson, formatList, formatTable, formatTime } from '../output.js';

export const policyCommands: CommandGroup = {
  name: 'policy',
  summary: 'manage identity policies',
  subcommands: [
    {
      words: ['create'],
      args: ['NAME', 'FILE.json'],
      summary: "store a policy document ('-' reads stdin); an existing policy is replaced",
      async run(ctx, [name = '', file = '']) {
        // Sent as written: the server validates the document and names what is wrong with it.
        const document = await ctx.readInput(file);
        const { status, body } = await ctx.client().admin<{ policy: Policy }>('PUT', `/policies/${segment(name)}`, { rawBody: document });
        const created = status === 201;
        if (ctx.json) ctx.print(formatJson(body.policy));
        else if (created) ctx.print(`Created policy ${body.policy.name}.\n`);
        else ctx.print(`Replaced policy ${body.policy.name}${attachedNote(body.policy)}.\n`);
      },
    },
    {
      words: ['list'],
      args: [],
      summary: 'list policies',
      async run(ctx) {
        const { body } = await ctx.client().admin<{ policies: Policy[] }>('GET', '/policies');
        if (ctx.json) ctx.print(formatJson(body.policies));
        else if (body.policies.length === 0) ctx.print('No policies.\n');
        else ctx.print(formatTable(['NAME', 'ATTACHED TO', 'UPDATED'], body.policies.map((p) => [p.name, formatList(p.attachedTo), formatTime(p.updatedAt)])));
      },
    },
    {
      words: ['show'],
      args: ['NAME'],
      summary: 'show a policy and its document',
      async run(ctx, [name = '']) {
        const { body } = await ctx.client().admin<{ policy: Policy }>('GET', `/policies/${segment(name)}`);
        const p = body.policy;
        if (ctx.json) {
          ctx.print(formatJson(p));
          return;
        }
        const fields = formatFields([
          ['Name', p.name],
          ['Attached to', formatList(p.attachedTo)],
          ['Created', formatTime(p.createdAt)],
          ['Updated', formatTime(p.updatedAt)],
        ]);
        ctx.print(`${fields}\n${formatJson(p.document)}`);
      },
    },
    {
      words: ['remove'],
      args: ['NAME'],
      summary: 'delete a policy (detach it from every user first)',
      async run(ctx, [name = '']) {
        await ctx.client().admin('DELETE', `/policies/${segment(name)}`);
        ctx.print(ctx.json ? formatJson({ name, removed: true }) : `Removed policy ${name}.\n`);
      },
    },
    {
      words: ['attach'],
      args: ['NAME'],
      requiredOptions: { user: 'USER' },
      summary: 'attach a policy to a user (attaching twice is not an error)',
      async run(ctx, [name = ''], options) {
        const user = String(options['user']);
        const { body } = await ctx.client().admin<{ user: User }>('PUT', `/users/${segment(user)}/policies/${segment(name)}`);
        ctx.print(ctx.json ? formatJson(body.user) : `Attached policy ${name} to user ${body.user.name}.\n`);
      },
    },
    {
      words: ['detach'],
      args: ['NAME'],
      requiredOptions: { user: 'USER' },
      summary: 'detach a policy from a user',
      async run(ctx, [name = ''], options) {
        const user = String(options['user']);
        await ctx.client().admin('DELETE', `/users/${segment(user)}/policies/${segment(name)}`);
        ctx.print(ctx.json ? formatJson({ name, user, detached: true }) : `Detached policy ${name} from user ${user}.\n`);
      },
    },
  ],
};

function attachedNote(policy: Policy): string {
  const n = policy.attachedTo.length;
  return n === 0 ? '' : ` (attached to ${n} user${n === 1 ? '' : 's'}: the change applies to their next request)`;
}
