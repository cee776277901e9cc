/**
 * A self-signed certificate for 127.0.0.1, valid until 2126, so tests can serve
 * https on loopback: botocore and the aws CLI only send aws-chunked bodies over
 * TLS. Throwaway test material, never used outside the test listener.
 */
export const CAPTURE_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBszCCAVmgAwIBAgIULtWNt2SlrIgEW8dL9lybKiy8UQYwCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVbGF0Y2hrZXkgY2FwdHVyZSB0ZXN0MCAXDTI2MTEyODIyNDYw
NVoYDzIxMjYxMTA0MjI0NjA1WjAgMR4wHAYDVQQDDBVsYXRjaGtleSBjYXB0dXJl
IHRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQbsUPMMrNUWRSE/GEScrxM
65aDf9DLAjGc5KTz9Emqj17z73NSzHYo/oyA75CJzEseBQWdlIpD2ltIcsuEMBj5
o28wbTAdBgNVHQ4EFgQUhwfM0PdORkni2Sz19/fmsBv/V74wHwYDVR0jBBgwFoAU
hwfM0PdORkni2Sz19/fmsBv/V74wDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzAR
hwR/AAABgglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDSAAwRQIgA87FjWUan4tpOtZR
MSENPDSkN3OiIm8MV0ShmKG9c5kCIQD9GJNoRXXAn9dd3LZcU3MLEKtualMgRTpv
UnE8F53aQA==
-----END CERTIFICATE-----
`;

export const CAPTURE_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkpnciCDCpn0agTLf
IQgVplp7jJlyvJII+qdQXOptuUyhRANCAAQbsUPMMrNUWRSE/GEScrxM65aDf9DL
AjGc5KTz9Emqj17z73NSzHYo/oyA75CJzEseBQWdlIpD2ltIcsuEMBj5
-----END PRIVATE KEY-----
`;
