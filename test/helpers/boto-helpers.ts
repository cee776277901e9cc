/**
 * Python helpers for boto3 scripts run through clients.boto3 (they use its
 * `json`, `session`, `endpoint` and `Config` globals):
 * - `client_error(fn, **kw)`: calls fn and returns the ClientError as
 *   {code, status, message, headers} (None when fn succeeded);
 * - `out(value)`: prints the script's result as JSON (datetimes as text);
 * - `s3v4`: a client like `s3` but presigning with SigV4 (boto3's default presigns SigV2 here).
 */
export const BOTO_HELPERS = `
from botocore.exceptions import ClientError

def client_error(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        meta = e.response.get('ResponseMetadata', {})
        return {'code': e.response.get('Error', {}).get('Code'), 'status': meta.get('HTTPStatusCode'),
                'message': e.response.get('Error', {}).get('Message'), 'headers': meta.get('HTTPHeaders', {})}
    return None

def out(value):
    print(json.dumps(value, default=str))

s3v4 = session.client('s3', endpoint_url=endpoint, config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
`;
