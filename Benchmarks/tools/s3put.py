#!/usr/bin/env python3
"""Plain object-store PUTs with boto3 and a thread pool, for comparison with Folio's S3 mirror.

  s3put.py puts --threads N --seconds S --prefix P [--bytes B] [--files F]
      the HTTP save workload as PUTs: every PUT a distinct ~B-byte JSON envelope; even-numbered PUTs of a
      thread go to one shared key, odd-numbered ones round-robin over F keys. Bounded by time.
  s3put.py upload-dir --threads N --dir D --prefix P
      uploads every file under D (keys relative to D) once.

Reads the endpoint and credentials from FOLIO_TEST_S3_* (scripts/seaweedfs.sh's s3.env). Prints one
JSON line: puts, seconds, puts_per_s, p50_ms, p99_ms, errors.
"""
import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def client(threads):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=os.environ["FOLIO_TEST_S3_ENDPOINT"],
        aws_access_key_id=os.environ["FOLIO_TEST_S3_ACCESS_KEY"],
        aws_secret_access_key=os.environ["FOLIO_TEST_S3_SECRET_KEY"],
        region_name=os.environ.get("FOLIO_TEST_S3_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}, max_pool_connections=max(10, threads),
                      retries={"max_attempts": 1}),
    )


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def puts(args):
    s3 = client(args.threads)
    bucket = os.environ["FOLIO_TEST_S3_BUCKET"]
    sentence = "The product must let planners compare revisions quickly. "
    filler = sentence * max(1, args.bytes // len(sentence))
    deadline = time.monotonic() + args.seconds
    latencies, errors = [], [0]
    lock = threading.Lock()

    def worker(tid):
        mine, failed, counter = [], 0, 0
        while time.monotonic() < deadline:
            counter += 1
            name = "shared" if counter % 2 == 0 else f"f{(tid * 7919 + counter) % args.files}"
            envelope = json.dumps({
                "content": f"# PRD {name}\n\nrevision {args.prefix}-{tid}-{counter}\n\n{filler}\n",
                "metadata": {"prd_id": tid, "updated_by": f"writer{tid}"}, "type": "prd"}, sort_keys=True)
            started = time.monotonic()
            try:
                s3.put_object(Bucket=bucket, Key=f"{args.prefix}/bench/prd/{name}.json", Body=envelope.encode(),
                              ContentType="application/json")
                mine.append(time.monotonic() - started)
            except Exception:  # counted, not retried
                failed += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(worker, range(args.threads)))
    seconds = time.monotonic() - started
    print(json.dumps({"puts": len(latencies), "seconds": seconds, "puts_per_s": len(latencies) / seconds,
                      "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
                      "errors": errors[0], "threads": args.threads}))


def upload_dir(args):
    s3 = client(args.threads)
    bucket = os.environ["FOLIO_TEST_S3_BUCKET"]
    paths = []
    for root, _, names in os.walk(args.dir):
        for name in names:
            paths.append(os.path.join(root, name))
    errors = [0]
    lock = threading.Lock()

    def upload(path):
        key = f"{args.prefix}/{os.path.relpath(path, args.dir)}"
        try:
            with open(path, "rb") as handle:
                s3.put_object(Bucket=bucket, Key=key, Body=handle.read(), ContentType="application/json")
        except Exception:
            with lock:
                errors[0] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(upload, paths))
    seconds = time.monotonic() - started
    print(json.dumps({"puts": len(paths) - errors[0], "seconds": seconds, "puts_per_s": (len(paths) - errors[0]) / seconds,
                      "errors": errors[0], "threads": args.threads}))
    if errors[0]:
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("puts")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--bytes", type=int, default=1024)
    p.add_argument("--files", type=int, default=1000)
    u = sub.add_parser("upload-dir")
    u.add_argument("--threads", type=int, required=True)
    u.add_argument("--dir", required=True)
    u.add_argument("--prefix", required=True)
    args = parser.parse_args()
    puts(args) if args.command == "puts" else upload_dir(args)


if __name__ == "__main__":
    main()
