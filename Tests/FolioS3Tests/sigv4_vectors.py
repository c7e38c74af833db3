#!/usr/bin/env python3
"""Signs a fixed set of S3 requests with botocore and prints them as JSON.

FolioS3's tests run this and check that S3Signer / S3Presigner / S3Client produce the same
request URLs, Authorization headers and presigned URLs. botocore is an independent SigV4
implementation; the clock is pinned so every run prints the same vectors.

    python3 Tests/FolioS3Tests/sigv4_vectors.py > vectors.json
"""

import datetime
import json
import random
import sys
from urllib.parse import quote

import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEYS = [
    "plain.json",
    "proj-1/prd/main_prd.json",
    "a b.json",
    "spaces  twice /x.json",
    "ünïcødé/文件.json",
    "emoji 😀/file.json",
    "plus+sign+.json",
    "tilde~name~",
    "double//slash///end",
    "percent%20literal%2F.json",
    "./dot/../segments/.",
    "quote'\"s.json",
    "colon:semi;comma,.json",
    "star*paren().json",
    "hash#question?.json",
    "ampersand&eq=.json",
    "[brackets]{braces}.json",
    "@at$dollar!.json",
    "back\\slash|pipe^caret`.json",
    "tab\tand<angle>.json",
    "trailing/",
    "UPPER/Case.JSON",
]

QUERIES = [
    {},
    {"list-type": "2"},
    {"list-type": "2", "prefix": "proj-1/prd/", "max-keys": "1000", "encoding-type": "url"},
    {"list-type": "2", "prefix": "a b+c", "max-keys": "7", "continuation-token": "1/AbC+dEf==/xyz~_-."},
    {"list-type": "2", "prefix": "ünï/", "delimiter": "/", "start-after": "ünï/a&b=c"},
    {"list-type": "2", "prefix": "", "continuation-token": "token with spaces & symbols: %2F;,?#"},
    {"versionId": "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"},
    {"uploads": "", "Zeta": "last", "alpha": "first", "Alpha": "upper"},
]

ENDPOINTS = [
    # (endpoint or None for AWS, path style)
    ("http://127.0.0.1:8333", True),
    ("http://localhost:80", True),
    ("https://minio.example.test:9000/base/path", True),
    ("https://s3.example.test", False),
    (None, False),
    (None, True),
]

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]

DATES = [
    datetime.datetime(2013, 5, 24, 0, 0, 0),
    datetime.datetime(2024, 2, 29, 23, 59, 59),
    datetime.datetime(2026, 11, 29, 4, 43, 7),
    datetime.datetime(2038, 1, 19, 3, 14, 8),
]


def body_bytes(size, seed):
    """The same deterministic bytes the Swift test builds from (size, seed)."""
    period = bytes((i * 31 + seed) % 251 for i in range(251))
    return (period * (size // 251 + 1))[:size]


def url_for(endpoint, path_style, region, bucket, key):
    if endpoint is None:
        if path_style:
            base, path = f"https://s3.{region}.amazonaws.com", f"/{bucket}"
        else:
            base, path = f"https://{bucket}.s3.{region}.amazonaws.com", ""
    else:
        scheme, rest = endpoint.split("://", 1)
        host, _, base_path = rest.partition("/")
        base_path = ("/" + base_path).rstrip("/") if base_path else ""
        if path_style:
            base, path = f"{scheme}://{host}", f"{base_path}/{bucket}"
        else:
            base, path = f"{scheme}://{bucket}.{host}", base_path
    if key is None:
        path = path or "/"
    else:
        path = f"{path}/{key}"
    return base + quote(path, safe="/~")


def encoded_query(params):
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


class CapturingAuth(S3SigV4Auth):
    """Keeps botocore's canonical request and string to sign for diagnostics."""

    def canonical_request(self, request):
        self.captured_canonical_request = super().canonical_request(request)
        return self.captured_canonical_request

    def string_to_sign(self, request, canonical_request):
        self.captured_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.captured_string_to_sign


def pin_clock(moment):
    botocore.auth.get_current_datetime = lambda remove_tzinfo=True: moment


def header_case(rng):
    method = rng.choice(["GET", "PUT", "HEAD", "DELETE"])
    endpoint, path_style = rng.choice(ENDPOINTS)
    region = rng.choice(REGIONS)
    bucket = rng.choice(["folio-test", "my-bucket-01", "docs"])
    bucket_level = method == "GET" and rng.random() < 0.3
    key = None if bucket_level else rng.choice(KEYS)
    query = rng.choice(QUERIES) if bucket_level else (rng.choice(QUERIES) if rng.random() < 0.15 else {})
    headers = {}
    body = {"size": 0, "seed": 0}
    if method == "PUT":
        size = rng.choice([0, 1, 17, 1000, 65536, 5 * 1024 * 1024]) if rng.random() < 0.9 else 0
        body = {"size": size, "seed": rng.randrange(251)}
        headers["content-type"] = rng.choice(["application/json", "text/plain; charset=utf-8", "application/octet-stream"])
        if rng.random() < 0.6:
            headers["x-amz-meta-folio-commit"] = "%040x" % rng.getrandbits(160)
        if rng.random() < 0.3:
            headers["x-amz-meta-updated-by"] = rng.choice(["john_doe", "Jane  Doe", " padded value "])
        if rng.random() < 0.4:
            headers["content-encoding"] = "gzip"
    token = None
    if rng.random() < 0.4:
        token = "FwoGZXIvYXdzE" + "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(60))
    return {
        "method": method,
        "endpoint": endpoint,
        "pathStyle": path_style,
        "region": region,
        "bucket": bucket,
        "key": key,
        "query": query,
        "headers": headers,
        "body": body,
        "accessKeyID": rng.choice(["AKIDEXAMPLE", "folio-test-access", "AKIAIOSFODNN7EXAMPLE"]),
        "secretAccessKey": rng.choice(["wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "folio-test-secret-0123456789"]),
        "sessionToken": token,
        "date": rng.choice(DATES),
    }


def sign_headers(case):
    moment = case["date"]
    pin_clock(moment)
    url = url_for(case["endpoint"], case["pathStyle"], case["region"], case["bucket"], case["key"])
    data = body_bytes(case["body"]["size"], case["body"]["seed"])
    request = AWSRequest(method=case["method"], url=url, headers=dict(case["headers"]), data=data, params=dict(case["query"]))
    credentials = Credentials(case["accessKeyID"], case["secretAccessKey"], case["sessionToken"])
    auth = CapturingAuth(credentials, "s3", case["region"])
    auth.add_auth(request)
    query = encoded_query(case["query"])
    return {
        "url": url + ("?" + query if query else ""),
        "authorization": request.headers["Authorization"],
        "amzDate": request.headers["X-Amz-Date"],
        "contentSHA256": request.headers["X-Amz-Content-SHA256"],
        "canonicalRequest": auth.captured_canonical_request,
        "stringToSign": auth.captured_string_to_sign,
    }


def presign(case, expires):
    pin_clock(case["date"])
    url = url_for(case["endpoint"], case["pathStyle"], case["region"], case["bucket"], case["key"])
    request = AWSRequest(method="GET", url=url, params=dict(case["query"]))
    credentials = Credentials(case["accessKeyID"], case["secretAccessKey"], case["sessionToken"])
    S3SigV4QueryAuth(credentials, "s3", case["region"], expires=expires).add_auth(request)
    return request.url


def main():
    rng = random.Random(20240229)
    vectors = []
    for index in range(300):
        case = header_case(rng)
        expected = sign_headers(case)
        if case["method"] == "GET" and case["key"] is not None:
            expires = rng.choice([1, 60, 3600, 604800])
            case["expires"] = expires
            expected["presignedURL"] = presign(case, expires)
        case["date"] = int(case["date"].replace(tzinfo=datetime.timezone.utc).timestamp())
        vectors.append({"name": f"case-{index:03d}", "request": case, "expected": expected})
    json.dump(vectors, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
