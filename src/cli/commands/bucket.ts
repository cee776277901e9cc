import { segment } from '../api-types.js';
import type { CommandGroup } from '../command.js';
import { formatJson, formatTime } from '../output.js';
import { beforeOption, type RevocationView } from './link.js';

// S3's own PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy, path-style.
const policyPath = (bucket: string) => ({ path: `/${segment(bucket)}`, query: 'policy' });

export const bucketCommands: CommandGroup = {
  name: 'bucket',
  summary: 'manage bucket policies; revoke pre-signed links to a bucket',
  subcommands: [
    {
      words: ['policy', 'set'],
      args: ['BUCKET', 'FILE.json'],
      summary: "set a bucket's policy ('-' reads stdin)",
      async run(ctx, [bucket = '', file = '']) {
        const body = await ctx.readInput(file);
        await ctx.client().send({ method: 'PUT', ...policyPath(bucket), body, headers: { 'content-type': 'application/json' } });
        ctx.print(ctx.json ? formatJson({ bucket, policySet: true }) : `Set the policy of bucket ${bucket}.\n`);
      },
    },
    {
      words: ['policy', 'show'],
      args: ['BUCKET'],
      summary: "show a bucket's policy",
      async run(ctx, [bucket = '']) {
        const response = await ctx.client().send({ method: 'GET', ...policyPath(bucket) });
        const text = response.body.toString('utf8');
        let document: unknown;
        try {
          document = JSON.parse(text);
        } catch {
          // S3 returns the document as stored; show it untouched rather than fail.
          ctx.print(text.endsWith('\n') ? text : `${text}\n`);
          return;
        }
        ctx.print(formatJson(document));
      },
    },
    {
      words: ['policy', 'remove'],
      args: ['BUCKET'],
      summary: "delete a bucket's policy",
      async run(ctx, [bucket = '']) {
        await ctx.client().send({ method: 'DELETE', ...policyPath(bucket) });
        ctx.print(ctx.json ? formatJson({ bucket, policyRemoved: true }) : `Removed the policy of bucket ${bucket}.\n`);
      },
    },
    {
      words: ['revoke-links'],
      args: ['BUCKET'],
      requiredOptions: { before: 'TIME' },
      summary: "revoke every pre-signed link to the bucket signed before TIME ('now' or ISO 8601)",
      async run(ctx, [bucket = ''], options) {
        const before = beforeOption(String(options['before']));
        const { body } = await ctx.client().admin<{ revocation: RevocationView }>('POST', `/buckets/${segment(bucket)}/revoke-links`, { json: { before } });
        const r = body.revocation;
        ctx.print(ctx.json ? formatJson(r) : `Revoked every link to bucket ${bucket} signed before ${formatTime(r.before)}.\n`);
      },
    },
  ],
};
