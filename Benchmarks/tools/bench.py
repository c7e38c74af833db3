#!/usr/bin/env python3
"""Runs Folio's benchmarks end to end and writes BENCHMARKS.md (Benchmarks/run-all.sh calls this).

Everything listens on 127.0.0.1 only; every load loop is bounded in time (wrk -d, boto3 --seconds) or
count (hyperfine --runs). Each `folio serve` gets a fresh data folder under the work folder and a free
port; SeaweedFS is started through scripts/seaweedfs.sh with its own FOLIO_TEST_STATE_DIR. Whatever was
started is stopped on exit, also on an error or Ctrl-C.
"""
import argparse
import glob
import json
import os
import platform
import re
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WRK_DIR = os.path.join(ROOT, "Benchmarks", "wrk")
TOOLS = os.path.join(ROOT, "Benchmarks", "tools")
TRACKED_KEY = "bench/prd/tracked.json"

live_servers = []
seaweed_state = None


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def fmt_ms(value):
    if value != value:  # nan
        return "–"
    return f"{value:.3f} ms" if value < 1 else (f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms")


def fmt_int(value):
    return "–" if value != value else f"{value:,.0f}"


def fmt_mib(kib):
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


class Context:
    def __init__(self, args):
        self.quick = args.quick
        self.bin = os.path.abspath(args.bin)
        self.folio = os.path.join(self.bin, "folio")
        self.bench = os.path.join(self.bin, "folio-bench")
        self.work = os.path.abspath(args.work or f"/tmp/folio-bench-{time.strftime('%Y%m%d-%H%M%S')}")
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        self.results = os.path.join(self.work, "results.jsonl")
        self.runs = 1 if args.quick else 3
        self.seconds = 3 if args.quick else 8
        self.size_seconds = 3 if args.quick else 5
        self.history_files = 10_000 if args.quick else 100_000
        self.history_tracked = 100 if args.quick else 1000
        self.mirror_files = 1000 if args.quick else 10_000
        self.commands = {}  # section -> [command lines, as run]
        self.data = {}
        self.timings = {}
        self.dir_counter = 0

    def fresh_dir(self, label):
        self.dir_counter += 1
        path = os.path.join(self.work, f"{label}-{self.dir_counter}")
        os.makedirs(path)
        return path

    def note(self, section, command):
        """Keeps the first command of each shape (ports and folders vary) for the report."""
        line = command if isinstance(command, str) else " ".join(shlex.quote(part) for part in command)
        line = line.replace(self.work, "$WORK").replace(self.bin, "$BIN").replace(ROOT + "/", "").replace(sys.executable, "python3")
        shape = re.sub(r"\d+", "N", line)
        seen = self.commands.setdefault(section, [])
        if all(re.sub(r"\d+", "N", existing) != shape for existing in seen):
            seen.append(line)

    def record(self, **fields):
        with open(self.results, "a") as handle:
            handle.write(json.dumps(fields, sort_keys=True) + "\n")


def store_env(data):
    return {
        "FOLIO_REPO_PATH": os.path.join(data, "folio.git"),
        "FOLIO_DATABASE_URL": "sqlite:" + os.path.join(data, "folio.sqlite"),
        "MEDIA_ROOT": os.path.join(data, "media"),
    }


class Server:
    """`folio serve` on a free loopback port over the store in `data`."""

    def __init__(self, ctx, data, label, extra_env=None):
        self.ctx, self.data, self.label = ctx, data, label
        env = dict(os.environ)
        env.update(store_env(data))
        env.update({"FOLIO_HOST": "127.0.0.1", "FOLIO_PORT": "0"})
        env.update(extra_env or {})
        self.log_path = os.path.join(ctx.work, "logs", f"serve-{label}.log")
        self.log = open(self.log_path, "w")
        command = [ctx.folio, "serve", "--port", "0"]
        shown = " ".join(f"{k}={v}" for k, v in (extra_env or {}).items() if not k.startswith("AWS_SECRET"))
        ctx.note(label.split("-")[0], (shown + " " if shown else "") + "$BIN/folio serve --port 0  # FOLIO_REPO_PATH etc. under a fresh $WORK folder")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, env=env, cwd=data, text=True)
        live_servers.append(self)
        line = self._first_line(timeout=600)
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line or "")
        if not match:
            self.stop()
            raise RuntimeError(f"folio serve did not start ({label}); see {self.log_path}: {line!r}")
        self.port = int(match.group(1))
        self.base = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._drain_stdout, daemon=True).start()
        self.startup_seconds = time.monotonic() - self.started

    def _first_line(self, timeout):
        result = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        return result[0] if result else None

    def _drain_stdout(self):
        for _ in self.proc.stdout:
            pass

    def memory(self):
        """VmHWM and VmRSS in KiB."""
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as handle:
            for line in handle:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    name, value = line.split(":", 1)
                    fields[name] = int(value.split()[0])
        return fields

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                log(f"folio serve ({self.label}) did not stop within 180 s of SIGTERM; killing it")
                self.proc.kill()
                self.proc.wait()
        if self in live_servers:
            live_servers.remove(self)
        self.log.close()
        return self.proc.returncode

    def log_problems(self):
        """Counts of error/critical log lines and of crash markers in the server log."""
        with open(self.log_path, errors="replace") as handle:
            text = handle.read()
        return {
            "error_level_lines": len(re.findall(r"^\S+ (error|critical) ", text, flags=re.MULTILINE)),
            "fatal": "Fatal error" in text or "Crash" in text,
        }


def commits(data):
    result = subprocess.run(["git", "-C", os.path.join(data, "folio.git"), "rev-list", "--count", "main"],
                            capture_output=True, text=True)
    return int(result.stdout.strip()) if result.returncode == 0 else 0


def wrk(ctx, section, url, script, conns, seconds, script_args=(), timeout="30s", label=""):
    threads = 1 if conns == 1 else 2
    command = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", timeout, "--latency",
               "-s", os.path.join(WRK_DIR, script), url]
    if script_args:
        command += ["--"] + [str(a) for a in script_args]
    ctx.note(section, command)
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300)
    with open(os.path.join(ctx.work, "logs", "wrk.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    match = re.search(r"^WRKJSON (.*)$", result.stdout, flags=re.MULTILINE)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({label}): {result.stderr or result.stdout}")
    data = json.loads(match.group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["ok"] = data["requests"] - data["status"]
    data["ok_rps"] = data["ok"] / (data["duration_us"] / 1e6)
    data["p50_ms"] = data["p50_us"] / 1000
    data["p99_ms"] = data["p99_us"] / 1000
    data["conns"] = conns
    return data


def http_json(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.status, json.loads(response.read() or b"null")


def run_bench(ctx, section, arguments, env=None, timeout=3600):
    command = [ctx.bench] + arguments
    ctx.note(section, command)
    full_env = dict(os.environ)
    full_env["FOLIO_BENCH_DIR"] = ctx.work
    full_env.update(env or {})
    result = subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=timeout)
    with open(os.path.join(ctx.work, "logs", "folio-bench.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"folio-bench {' '.join(arguments)} failed: {result.stderr[-2000:]}")
    return result.stdout


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def hyperfine(ctx, section, commands, runs, warmup=0, env=None, shell=True):
    """Runs hyperfine over {name: command}; returns {name: {median_s, mean_s, min_s, max_s, runs}}."""
    out = os.path.join(ctx.work, f"hyperfine-{len(os.listdir(ctx.work))}.json")
    command = ["hyperfine", "--runs", str(runs), "--warmup", str(warmup), "--export-json", out, "--style", "basic"]
    if not shell:
        command.append("-N")
    for name, line in commands.items():
        command += ["-n", name, line]
        ctx.note(section, f"hyperfine --runs {runs} --warmup {warmup}{'' if shell else ' -N'} {shlex.quote(line)}")
    full_env = dict(os.environ)
    full_env.update(env or {})
    result = subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=3600)
    with open(os.path.join(ctx.work, "logs", "hyperfine.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"hyperfine failed: {result.stderr[-2000:]}")
    with open(out) as handle:
        data = json.load(handle)
    return {r["command"]: {"median_s": r["median"], "mean_s": r["mean"], "min_s": r["min"], "max_s": r["max"],
                           "runs": len(r["times"])} for r in data["results"]}


# ---------------------------------------------------------------------------------------------------
# 1. HTTP: GET and POST throughput and latency, group commit beside naive mode.

SEED_CONTENT = "# Checkout v2\n\n" + ("Goals: let planners compare revisions of a PRD quickly and restore old ones. " * 12)


def section_http(ctx):
    out = ctx.data.setdefault("http", {"get": [], "post": []})
    data = ctx.fresh_dir("http-get")
    server = Server(ctx, data, "http-get")
    status, _ = http_json("POST", server.base + "/api/projects/bench/prd/",
                          {"name": "main_prd", "content": SEED_CONTENT, "metadata": {"prd_id": 1}, "updated_by": "john_doe"})
    assert status == 201, status
    url = server.base + "/api/projects/bench/prd/?name=main_prd"
    for conns in (1, 8, 64):
        for run in range(ctx.runs):
            result = wrk(ctx, "http", url, "get.lua", conns, ctx.seconds, label=f"GET c{conns}")
            result.update(run=run, **server.memory())
            out["get"].append(result)
            ctx.record(section="http-get", **result)
            log(f"GET c={conns} run {run + 1}: {result['rps']:.0f} req/s p50 {result['p50_ms']:.2f} ms p99 {result['p99_ms']:.2f} ms, non-2xx {result['status']}")
    out["get_server"] = server.log_problems()
    server.stop()
    shutil.rmtree(data, ignore_errors=True)

    if not ctx.quick:
        # The same GET at 64 connections with request logging off (the server logs every request at info).
        data = ctx.fresh_dir("http-get-quiet")
        server = Server(ctx, data, "http-getquiet", {"FOLIO_LOG_LEVEL": "warning"})
        http_json("POST", server.base + "/api/projects/bench/prd/",
                  {"name": "main_prd", "content": SEED_CONTENT, "metadata": {"prd_id": 1}, "updated_by": "john_doe"})
        out["get_quiet"] = []
        for run in range(ctx.runs):
            result = wrk(ctx, "http", server.base + "/api/projects/bench/prd/?name=main_prd", "get.lua", 64, ctx.seconds)
            out["get_quiet"].append(result)
            log(f"GET c=64 (log level warning) run {run + 1}: {result['rps']:.0f} req/s")
        server.stop()
        shutil.rmtree(data, ignore_errors=True)

    modes = {"group": {}, "naive": {"FOLIO_MAX_BATCH": "1", "FOLIO_PACKED_WRITES": "0"}}
    for conns in (1, 8, 64, 256):
        for run in range(ctx.runs):
            for mode, env in modes.items():
                result = post_run(ctx, "http", f"http-post-{mode}-c{conns}", conns, env)
                result.update(run=run, mode=mode)
                out["post"].append(result)
                ctx.record(section="http-post", **result)


def post_run(ctx, section, label, conns, env, settle=None):
    """One wrk POST run on a fresh store; checks the commits on the branch against the 2xx answers."""
    data = ctx.fresh_dir(label)
    server = Server(ctx, data, label, env)
    before = commits(data)
    nonce = f"{label}-{int(time.time() * 1000)}"
    result = wrk(ctx, section, server.base + "/api/projects/bench/prd/", "post.lua", conns, ctx.seconds,
                 [nonce, 1024, 1000], label=label)
    if settle:
        result.update(settle(server, data))
    result.update(server.memory())
    result["server"] = server.log_problems()
    code = server.stop()
    result["exit_code"] = code
    result["commits"] = commits(data) - before
    result["commits_minus_ok"] = result["commits"] - result["ok"]
    # Requests still in flight when wrk stops are answered to no one but committed: up to one per connection.
    result["lost"] = max(0, -result["commits_minus_ok"])
    result["unexpected_extra"] = max(0, result["commits_minus_ok"] - conns - result["timeout"])
    log(f"POST {label}: {result['ok_rps']:.0f} saves/s p50 {result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms; "
        f"2xx {result['ok']}, commits {result['commits']}, non-2xx {result['status']}, timeouts {result['timeout']}, "
        f"VmHWM {result.get('VmHWM', 0) / 1024:.0f} MiB")
    if not settle:
        shutil.rmtree(data, ignore_errors=True)
    else:
        result["data"] = data
    return result


# ---------------------------------------------------------------------------------------------------
# 2. In-process durable saves (folio-bench saves).

def section_core(ctx):
    jsonl = os.path.join(ctx.work, "core.jsonl")
    arguments = ["saves", "--json", jsonl] + (["--quick"] if ctx.quick else [])
    markdown = run_bench(ctx, "core", arguments)
    ctx.data["core"] = {"markdown": markdown.strip(), "rows": read_jsonl(jsonl)}
    # Save throughput as the repository grows (one pack per group commit accumulates).
    fill = os.path.join(ctx.work, "growth.jsonl")
    data = ctx.fresh_dir("growth")
    files = 3000 if ctx.quick else 10_000
    run_bench(ctx, "core", ["fill", "--dir", data, "--files", str(files), "--writers", "64", "--mirror", "none",
                            "--segment", str(files // 10), "--json", fill])
    ctx.data["core"]["growth"] = read_jsonl(fill)[-1]
    shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# 3. Object store: plain boto3 PUTs beside Folio with the S3 mirror; mirror sync of 10k files.

def start_seaweed(ctx):
    global seaweed_state
    state = os.path.join(ctx.work, "s3state")
    env = dict(os.environ, FOLIO_TEST_STATE_DIR=state)
    ctx.note("s3", "FOLIO_TEST_STATE_DIR=$WORK/s3state scripts/seaweedfs.sh start")
    seaweed_state = state
    subprocess.run([os.path.join(ROOT, "scripts", "seaweedfs.sh"), "start"], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)
    values = {}
    with open(os.path.join(state, "s3.env")) as handle:
        for line in handle:
            match = re.match(r"export (\w+)=(.*)", line.strip())
            if match:
                values[match.group(1)] = match.group(2)
    return values


def stop_seaweed():
    global seaweed_state
    if seaweed_state:
        subprocess.run([os.path.join(ROOT, "scripts", "seaweedfs.sh"), "stop"],
                       env=dict(os.environ, FOLIO_TEST_STATE_DIR=seaweed_state), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        seaweed_state = None


def folio_s3_env(s3, prefix):
    return {
        "FILE_STORAGE_TYPE": "s3",
        "AWS_STORAGE_BUCKET_NAME": s3["FOLIO_TEST_S3_BUCKET"],
        "AWS_ACCESS_KEY_ID": s3["FOLIO_TEST_S3_ACCESS_KEY"],
        "AWS_SECRET_ACCESS_KEY": s3["FOLIO_TEST_S3_SECRET_KEY"],
        "AWS_S3_REGION_NAME": s3["FOLIO_TEST_S3_REGION"],
        "AWS_S3_ENDPOINT_URL": s3["FOLIO_TEST_S3_ENDPOINT"],
        "AWS_S3_PROJECT_PREFIX": prefix,
    }


def outbox_count(data):
    try:
        connection = sqlite3.connect(f"file:{os.path.join(data, 'folio.sqlite')}?mode=ro", uri=True, timeout=10)
        try:
            return connection.execute("SELECT count(*) FROM mirror_outbox").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return None


def count_objects(s3, prefix):
    import boto3
    from botocore.config import Config
    client = boto3.session.Session().client(
        "s3", endpoint_url=s3["FOLIO_TEST_S3_ENDPOINT"], aws_access_key_id=s3["FOLIO_TEST_S3_ACCESS_KEY"],
        aws_secret_access_key=s3["FOLIO_TEST_S3_SECRET_KEY"], region_name=s3["FOLIO_TEST_S3_REGION"],
        config=Config(s3={"addressing_style": "path"}))
    total = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3["FOLIO_TEST_S3_BUCKET"], Prefix=prefix + "/"):
        total += page.get("KeyCount", 0)
    return total


def section_s3(ctx):
    out = ctx.data.setdefault("s3", {"boto3": [], "folio": []})
    s3 = start_seaweed(ctx)
    s3_env = dict(os.environ, **s3)
    for conns in (1, 8, 64):
        for run in range(ctx.runs):
            prefix = f"raw-c{conns}-r{run}"
            command = [sys.executable, os.path.join(TOOLS, "s3put.py"), "puts", "--threads", str(conns),
                       "--seconds", str(ctx.seconds), "--prefix", prefix]
            ctx.note("s3", command)
            result = subprocess.run(command, capture_output=True, text=True, env=s3_env, timeout=ctx.seconds + 300)
            if result.returncode != 0:
                raise RuntimeError(f"s3put failed: {result.stderr[-2000:]}")
            row = json.loads(result.stdout.strip().splitlines()[-1])
            row.update(conns=conns, run=run)
            out["boto3"].append(row)
            ctx.record(section="s3-boto3", **row)
            log(f"boto3 PUT threads={conns} run {run + 1}: {row['puts_per_s']:.0f} puts/s p50 {row['p50_ms']:.1f} ms, errors {row['errors']}")

            folio_prefix = f"folio-c{conns}-r{run}"
            env = folio_s3_env(s3, folio_prefix)

            def settle(server, data):
                # The mirror publishes each file's latest commit after the commit; wait for the outbox to empty.
                started = time.monotonic()
                while time.monotonic() - started < 300:
                    pending = outbox_count(data)
                    if pending == 0:
                        break
                    time.sleep(0.1)
                return {"drain_s": time.monotonic() - started, "pending_after": outbox_count(data)}

            row = post_run(ctx, "s3", f"s3-post-c{conns}", conns, env, settle=settle)
            data = row.pop("data")
            # Verify: every live file's object carries its current commit (HEAD per file, nothing repaired).
            verify_env = dict(os.environ, **store_env(data), **env)
            command = [ctx.folio, "mirror", "verify", "--dry-run", "--json"]
            ctx.note("s3", "FILE_STORAGE_TYPE=s3 AWS_...=... $BIN/folio mirror verify --dry-run --json  # same store")
            verify = subprocess.run(command, capture_output=True, text=True, env=verify_env, timeout=600)
            try:
                row["verify"] = json.loads(verify.stdout)
            except json.JSONDecodeError:
                row["verify"] = {"error": verify.stderr.strip()[-300:]}
            row.update(run=run)
            out["folio"].append(row)
            ctx.record(section="s3-folio", **row)
            log(f"  mirror drained {row['drain_s']:.1f} s after the load; verify {row['verify']}")
            shutil.rmtree(data, ignore_errors=True)

    # 10k files: `folio mirror sync` beside the AWS CLI and boto3 uploading the same envelopes.
    data = ctx.fresh_dir("mirror10k")
    out["build"] = history_repo(ctx, "s3", ["build", "--dir", data, "--files", str(ctx.mirror_files), "--tracked", "0",
                                            "--catalog", "reindex", "--media"])
    media = os.path.join(data, "media", "projects")
    files = sum(len(names) for _, _, names in os.walk(media))
    out["mirror_files"] = files
    bucket = s3["FOLIO_TEST_S3_BUCKET"]
    sync_env = dict(os.environ, **store_env(data), **folio_s3_env(s3, "sync-folio"))
    aws_env = dict(os.environ, **s3, AWS_ACCESS_KEY_ID=s3["FOLIO_TEST_S3_ACCESS_KEY"],
                   AWS_SECRET_ACCESS_KEY=s3["FOLIO_TEST_S3_SECRET_KEY"], AWS_DEFAULT_REGION=s3["FOLIO_TEST_S3_REGION"],
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
    endpoint = s3["FOLIO_TEST_S3_ENDPOINT"]
    runs = ctx.runs
    commands = {
        "folio mirror sync": f"{ctx.folio} mirror sync",
        "aws s3 cp --recursive": f"aws --endpoint-url {endpoint} s3 cp --recursive --quiet {media} s3://{bucket}/awscp/",
        "aws s3 sync (new prefix each run)": f"aws --endpoint-url {endpoint} s3 sync --quiet {media} s3://{bucket}/awssync-$(date +%s%N)/",
        "boto3, 8 threads": f"{sys.executable} {os.path.join(TOOLS, 's3put.py')} upload-dir --threads 8 --dir {media} --prefix boto3-8",
        "boto3, 64 threads": f"{sys.executable} {os.path.join(TOOLS, 's3put.py')} upload-dir --threads 64 --dir {media} --prefix boto3-64",
    }
    # One hyperfine per command so each gets the environment it needs; they run back to back in this run.
    results = {}
    results.update(hyperfine(ctx, "s3", {"folio mirror sync": commands["folio mirror sync"]}, runs, env=sync_env))
    for name in list(commands)[1:]:
        results.update(hyperfine(ctx, "s3", {name: commands[name]}, runs, env=aws_env))
    out["sync"] = results
    out["sync_objects"] = {"folio mirror sync": count_objects(s3, "sync-folio"), "aws s3 cp --recursive": count_objects(s3, "awscp"),
                           "boto3, 8 threads": count_objects(s3, "boto3-8"), "boto3, 64 threads": count_objects(s3, "boto3-64")}
    for name, value in results.items():
        log(f"{name}: {value['median_s']:.2f} s for {files} files ({files / value['median_s']:.0f} puts/s)")
    shutil.rmtree(data, ignore_errors=True)
    stop_seaweed()


# ---------------------------------------------------------------------------------------------------
# 4 and 6. History in a repository of ~100k commits (Folio beside git log), and memory with 100k files.

def history_repo(ctx, section, arguments, timeout=3600):
    command = [sys.executable, os.path.join(TOOLS, "history_repo.py")] + arguments + ["--folio", ctx.folio]
    ctx.note(section, command)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    with open(os.path.join(ctx.work, "logs", "history_repo.log"), "a") as handle:
        handle.write(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        raise RuntimeError(f"history_repo.py {arguments[0]} failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def section_history(ctx):
    out = ctx.data.setdefault("history", {})
    # The generator's catalog rows must be exactly what Folio's own ingest derives: checked on a small store.
    out["check"] = history_repo(ctx, "history", ["check", "--dir", ctx.fresh_dir("history-check"), "--files", "1000", "--tracked", "20"])
    data = ctx.fresh_dir("history")
    started = time.monotonic()
    out["build"] = history_repo(ctx, "history", ["build", "--dir", data, "--files", str(ctx.history_files), "--tracked",
                                                 str(ctx.history_tracked), "--catalog", "direct", "--media"])
    out["build_wall_s"] = time.monotonic() - started
    repo = os.path.join(data, "folio.git")
    out["commits"] = commits(data)
    out["packs"] = len(glob.glob(os.path.join(repo, "objects", "pack", "*.pack")))
    out["repo_mib"] = sum(os.path.getsize(p) for p in glob.glob(os.path.join(repo, "objects", "**", "*"), recursive=True)
                          if os.path.isfile(p)) / 2**20
    log(f"history repo: {out['commits']} commits, {out['packs']} packs, {out['repo_mib']:.0f} MiB; built in {out['build_wall_s']:.0f} s")

    # In-process catalog history.
    hjsonl = os.path.join(ctx.work, "history.jsonl")
    out["inprocess_markdown"] = run_bench(ctx, "history", ["history", "--dir", data, "--json", hjsonl] + (["--quick"] if ctx.quick else [])).strip()
    out["inprocess"] = {row["op"]: row for row in read_jsonl(hjsonl)}

    # The server over the same store: history route, then GETs across the files (memory).
    server = Server(ctx, data, "history-serve")
    out["rss_after_start"] = server.memory()
    out["startup_s"] = server.startup_seconds
    base = server.base + "/api/projects/bench/prd/history/?name=tracked"
    _, page = http_json("GET", base + "&limit=1000")
    out["http_revisions"] = len(page.get("revisions", [])) if isinstance(page, dict) else None
    out["http"] = {"first50": [], "full": []}
    for run in range(ctx.runs):
        out["http"]["first50"].append(wrk(ctx, "history", base + "&limit=50", "get.lua", 1, ctx.seconds))
        out["http"]["full"].append(wrk(ctx, "history", base + "&limit=1000", "get.lua", 1, ctx.seconds))
    out["rss_after_history"] = server.memory()
    out["get_many"] = []
    for run in range(ctx.runs):
        result = wrk(ctx, "memory", server.base + "/", "get-many.lua", 64, ctx.seconds * 2, [ctx.history_files])
        result.update(server.memory())
        out["get_many"].append(result)
        log(f"GET across {ctx.history_files} files c=64 run {run + 1}: {result['rps']:.0f} req/s, non-2xx {result['status']}, "
            f"VmRSS {result['VmRSS'] / 1024:.0f} MiB VmHWM {result['VmHWM'] / 1024:.0f} MiB")
    out["memory_final"] = server.memory()
    out["server"] = server.log_problems()
    server.stop()

    # git log over the same repository, without and with the commit-graph's changed-path Bloom filters.
    key = TRACKED_KEY
    counted = subprocess.run(["git", "-C", repo, "log", "--format=%H", "--", key], capture_output=True, text=True)
    out["git_revisions"] = len(counted.stdout.split())
    first50 = f"git -C {repo} log -n 50 --format=%H -- {key}"
    full = f"git -C {repo} log --format=%H -- {key}"
    out["git_plain"] = hyperfine(ctx, "history", {"git log -n 50 -- key": first50}, ctx.runs + 2, warmup=1, shell=False)
    out["git_plain"].update(hyperfine(ctx, "history", {"git log -- key": full}, ctx.runs, warmup=1, shell=False))
    started = time.monotonic()
    command = ["git", "-C", repo, "commit-graph", "write", "--reachable", "--changed-paths"]
    ctx.note("history", command)
    subprocess.run(command, check=True, capture_output=True)
    out["commit_graph_write_s"] = time.monotonic() - started
    out["git_graph"] = hyperfine(ctx, "history", {"git log -n 50 -- key": first50, "git log -- key": full}, 10, warmup=2, shell=False)
    for name, value in list(out["git_plain"].items()) + list(out["git_graph"].items()):
        log(f"{name}: {value['median_s'] * 1000:.1f} ms")
    shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# 5. Load and diff latency by size, in-process and over HTTP at one connection.

def section_sizes(ctx):
    out = ctx.data.setdefault("sizes", {})
    jsonl = os.path.join(ctx.work, "sizes.jsonl")
    out["inprocess_markdown"] = run_bench(ctx, "sizes", ["sizes", "--json", jsonl] + (["--quick"] if ctx.quick else [])).strip()
    out["inprocess"] = read_jsonl(jsonl)
    data = ctx.fresh_dir("sizes")
    seed = os.path.join(ctx.work, "sizes-seed.json")
    run_bench(ctx, "sizes", ["seed-sizes", "--dir", data, "--out", seed])
    with open(seed) as handle:
        documents = json.load(handle)["documents"]
    server = Server(ctx, data, "sizes-serve")
    out["http"] = []
    for document in documents:
        base = f"{server.base}/api/projects/{document['project']}/prd"
        name = document["name"]
        routes = [
            ("load current", f"{base}/?name={name}"),
            ("diff (line)", f"{base}/diff/?name={name}&from={document['from']}&to={document['to']}"),
            ("diff (word)", f"{base}/diff/?name={name}&from={document['from']}&to={document['to']}&mode=word"),
        ]
        for label, url in routes:
            # A probe first: a route slower than the run length gets runs long enough for a few requests.
            t0 = time.monotonic()
            urllib.request.urlopen(url, timeout=120).read()
            probe = time.monotonic() - t0
            seconds = max(ctx.size_seconds, min(60, int(probe * 4) + 2))
            runs = [wrk(ctx, "sizes", url, "get.lua", 1, seconds, timeout="60s") for _ in range(ctx.runs)]
            row = {"size": document["label"], "op": label, "seconds": seconds, "requests": sum(r["requests"] for r in runs),
                   "non2xx": sum(r["status"] for r in runs), "timeouts": sum(r["timeout"] for r in runs),
                   "p50_ms": median([r["p50_ms"] for r in runs]), "p99_ms": median([r["p99_ms"] for r in runs])}
            out["http"].append(row)
            ctx.record(section="sizes-http", **row)
            log(f"HTTP {document['label']} {label}: p50 {row['p50_ms']:.2f} ms p99 {row['p99_ms']:.2f} ms ({row['requests']} requests)")
    out["memory"] = server.memory()
    server.stop()
    shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# The report.

def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        mem_kib = int(handle.readline().split()[1])
    df = subprocess.run(["df", "-h", "--output=source,fstype,size,avail,target", "/tmp"], capture_output=True, text=True).stdout.strip()
    versions = {
        "swift": subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()[0] if shutil.which("swift") else "?",
        "git": subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip(),
        "wrk": (subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines() or ["?"])[0],
        "hyperfine": subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip(),
        "aws": subprocess.run(["aws", "--version"], capture_output=True, text=True).stdout.strip(),
    }
    head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                           capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "mem_gib": mem_kib / 2**20, "cpu": cpu, "df": df, "kernel": platform.release(),
            "commit": head, "dirty": bool(dirty), **versions}


def status_of(measured, target, higher_is_better=True):
    if measured != measured:
        return "not measured"
    ok = measured >= target if higher_is_better else measured < target
    return "**met**" if ok else "**missed**"


def grouped(rows, *keys):
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    return groups


NOTES_MARKER = "<!-- Everything below this line is written by hand; Benchmarks/run-all.sh keeps it when it rewrites this file. -->"


def kept_notes(path):
    """The hand-written part of an existing report (from NOTES_MARKER on), or nothing."""
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError:
        return ""
    index = text.find(NOTES_MARKER)
    return text[index:] if index >= 0 else ""


def write_report(ctx, path, started_at, total_s, failed=()):
    notes = kept_notes(path)
    m = ctx.data["machine"]
    L = []
    w = L.append
    w("# Benchmarks")
    w("")
    w(f"Generated by `Benchmarks/run-all.sh{' --quick' if ctx.quick else ''}` on {started_at} (total {total_s / 60:.1f} min). "
      f"{'**Quick smoke run: one run per point and short durations; not for comparison.** ' if ctx.quick else ''}"
      f"Every number is the median of {ctx.runs} run(s) unless a row says otherwise; ratios compare rows measured "
      "side by side in the same run. Everything runs on one machine over loopback: the load generators share the "
      "2 cores with the server, and the machine is shared, so absolute numbers are noisy (load average is noted per section).")
    w("")
    w("## Machine")
    w("")
    w(f"- CPU: {m['cpu']}; `nproc` = {m['nproc']}; memory {m['mem_gib']:.1f} GiB; kernel {m['kernel']}")
    w(f"- Disk (`df -h /tmp`; the benchmarks' data folders live there):")
    w("")
    w("```")
    w(m["df"])
    w("```")
    w("")
    subject = m["commit"] if len(m["commit"]) <= 80 else m["commit"][:78].rstrip() + "…"
    w(f"- Code measured: commit `{subject}`" + (" **with uncommitted changes under Sources/**" if m["dirty"] else " (no local changes under Sources/)"))
    w(f"- {m['swift']}; {m['git']}; {m['wrk']}; {m['hyperfine']}; {m['aws']}")
    w("- fsync is on for every durable save (each group commit's pack, index and folder, then the ref; libgit2 "
      "`GIT_OPT_ENABLE_FSYNC_GITDIR` for refs and loose objects); `folio serve` runs with its defaults "
      "(request log at info level to a file) unless a row says otherwise.")
    w("")

    w("## How to run")
    w("")
    w("```sh")
    w("Benchmarks/run-all.sh            # builds (release, .build-bench), runs everything, rewrites BENCHMARKS.md")
    w("Benchmarks/run-all.sh --quick    # smoke run, a few minutes; writes ${TMPDIR:-/tmp}/BENCHMARKS.quick.md")
    w("Benchmarks/run-all.sh --keep     # keep the work folder: results.jsonl, state.json, wrk/hyperfine output, server logs")
    w("python3 Benchmarks/tools/bench.py --report-only WORK/state.json --out BENCHMARKS.md   # re-render a kept run")
    w("swift run -c release folio-bench [saves|latency|sizes|history-size] [--quick]         # in-process only")
    w("```")
    w("")
    w("`$BIN` below is the release bin folder, `$WORK` the run's work folder under /tmp. Loopback ports are chosen "
      "per run. Load loops are bounded: wrk by `-d`, boto3 by `--seconds`, hyperfine by `--runs`.")
    w("")
    # Headline table.
    headline = []
    core = {row["writers"]: row for row in ctx.data.get("core", {}).get("rows", [])}
    if 64 in core:
        ratio = core[64]["ratio"]
        headline.append(("Durable saves at 64 writers ≥ 10× naive (in-process, `folio-bench saves`)",
                         f"{ratio:.1f}× ({core[64]['group']:,.0f} vs {core[64]['naive']:,.0f} saves/s)", status_of(ratio, 10)))
    http = ctx.data.get("http", {})
    post = grouped(http.get("post", []), "mode", "conns")
    if ("group", 64) in post and ("naive", 64) in post:
        g = median([r["ok_rps"] for r in post[("group", 64)]])
        n = median([r["ok_rps"] for r in post[("naive", 64)]])
        headline.append(("Durable saves at 64 clients ≥ 10× naive (over HTTP)", f"{g / n:.1f}× ({g:,.0f} vs {n:,.0f} saves/s)", status_of(g / n, 10)))
    hist = ctx.data.get("history", {})
    if hist.get("git_graph") and hist.get("http"):
        for op, git_name, label in (("first50", "git log -n 50 -- key", "first 50"), ("full", "git log -- key", f"all {hist.get('git_revisions')}")):
            git_ms = hist["git_graph"][git_name]["median_s"] * 1000
            http_ms = median([r["p50_ms"] for r in hist["http"][op]])
            inproc_ms = hist["inprocess"][op]["p50_ms"]
            headline.append((f"History ({label} revisions) at {hist['commits']:,} commits ≥ 10× faster than `{git_name}` with Bloom filters",
                             f"{git_ms / http_ms:.1f}× over HTTP ({fmt_ms(http_ms)} vs {fmt_ms(git_ms)}); {git_ms / inproc_ms:.0f}× in-process ({fmt_ms(inproc_ms)})",
                             status_of(git_ms / http_ms, 10)))
    get = grouped(http.get("get", []), "conns")
    if (64,) in get:
        rps = median([r["ok_rps"] for r in get[(64,)]])
        headline.append(("GET at 64 clients ≥ 10,000 req/s", f"{rps:,.0f} req/s", status_of(rps, 10_000)))
    if ("group", 64) in post:
        rps = median([r["ok_rps"] for r in post[("group", 64)]])
        headline.append(("POST (durable saves) at 64 clients ≥ 2,000 saves/s", f"{rps:,.0f} saves/s", status_of(rps, 2000)))
    if hist.get("memory_final"):
        hwm = hist["memory_final"]["VmHWM"]
        headline.append((f"`folio serve` RSS < 200 MiB at {ctx.history_files:,} files (VmHWM after history and GETs across the files)",
                         f"{hwm / 1024:.0f} MiB (VmRSS {hist['memory_final']['VmRSS'] / 1024:.0f} MiB)", status_of(hwm / 1024, 200, higher_is_better=False)))
    w("## Targets")
    w("")
    w("| target | measured | |")
    w("|---|---|---|")
    for target, measured, status in headline:
        w(f"| {target} | {measured} | {status} |")
    w("")
    findings = findings_notes(ctx)
    if findings:
        w("## Findings")
        w("")
        for line in findings:
            w(f"- {line}")
        w("")
    problems = integrity_notes(ctx)
    w("## Integrity checks")
    w("")
    if problems:
        for line in problems:
            w(f"- {line}")
    else:
        w("- Every POST run: commits on `main` (`git rev-list --count main`) ≥ the 2xx answers wrk counted, and the "
          "difference is at most the connections still waiting when wrk stopped (their saves complete after the "
          "client went away). No run lost a save, no request got a non-2xx answer, and every server exited 0 on SIGTERM.")
    w("")

    if http:
        section_http_report(ctx, w)
    if "core" in ctx.data:
        w("## 2. In-process durable saves (`folio-bench saves`)")
        w("")
        w(ctx.data["core"]["markdown"])
        w("")
        growth = ctx.data["core"].get("growth")
        if growth:
            w(f"#### Saves/s as the repository grows ({growth['files']:,} new files, 64 writers, in-process, no mirror)")
            w("")
            w("Each group commit writes one pack; past `FOLIO_MAX_PACKS` (64) the background maintainer, at lower CPU "
              "priority, merges the small ones while the fill goes on (the pack count falls when it does). Rate of each "
              "slice of the fill:")
            w("")
            w("| saves so far | saves/s in this slice | packs at the end of the slice |")
            w("|---:|---:|---:|")
            previous_done, previous_s = 0, 0.0
            for done, seconds, packs in growth["segments"]:
                w(f"| {done:,.0f} | {(done - previous_done) / max(seconds - previous_s, 1e-9):,.0f} | {packs:,.0f} |")
                previous_done, previous_s = done, seconds
            w("")
            w(f"Whole fill: {growth['saves_per_s']:,.0f} saves/s over {growth['seconds']:.0f} s, {growth['packs']:,} packs at the end.")
            w("")
        commands_block(ctx, w, "core")
    if "s3" in ctx.data:
        section_s3_report(ctx, w)
    if hist:
        section_history_report(ctx, w)
    if "sizes" in ctx.data:
        section_sizes_report(ctx, w)
    section_memory_report(ctx, w)
    w("## Timings of this run")
    w("")
    for name, (seconds, before, after) in ctx.timings.items():
        w(f"- {name}: {seconds / 60:.1f} min (load average before {before}, after {after})")
    w("")
    if failed:
        w("## Sections that failed")
        w("")
        for line in failed:
            w(f"- {line}")
        w("")
    with open(path, "w") as handle:
        handle.write("\n".join(L) + "\n")
        if notes:
            handle.write("\n" + notes.rstrip("\n") + "\n")


def findings_notes(ctx):
    """Facts from this run worth acting on, stated with their numbers."""
    notes = []
    growth = ctx.data.get("core", {}).get("growth")
    if growth and len(growth["segments"]) >= 2:
        (d1, s1, p1), (dn, sn, pn) = growth["segments"][0], growth["segments"][-1]
        dp, sp, _ = growth["segments"][-2]
        first, last = d1 / s1, (dn - dp) / max(sn - sp, 1e-9)
        most = max(p for _, _, p in growth["segments"])
        notes.append(f"As the repository grows: filling {growth['files']:,} new files with 64 writers ran at "
                     f"{first:,.0f} saves/s for the first {d1:,.0f} saves ({p1:.0f} packs) and {last:,.0f} saves/s for the last "
                     f"slice ({pn:.0f} packs); the pack count peaked at {most:.0f} while background consolidation ran beside the writers.")
    build = ctx.data.get("s3", {}).get("build", {})
    if build.get("reindex_s"):
        files = ctx.data["s3"].get("mirror_files") or ctx.mirror_files
        notes.append(f"`folio reindex` (the same ingest a restart after a crash or a `git push` runs) took {build['reindex_s']:.0f} s "
                     f"for {files:,} commits ({files / build['reindex_s']:,.0f} commits/s).")
    sizes = {(r["size"], r["op"]): r for r in ctx.data.get("sizes", {}).get("inprocess", [])}
    word, line = sizes.get(("5 MB", "diff (word)")), sizes.get(("5 MB", "diff (line)"))
    if word and line:
        notes.append(f"Word diff of the 5 MB document takes {fmt_ms(word['p50_ms'])} in-process (p50), "
                     f"{word['p50_ms'] / line['p50_ms']:.0f}× the line diff ({fmt_ms(line['p50_ms'])}); at 100 KB it is "
                     f"{fmt_ms(sizes.get(('100 KB', 'diff (word)'), {}).get('p50_ms', float('nan')))}.")
    post = grouped(ctx.data.get("http", {}).get("post", []), "mode", "conns")
    if ("group", 1) in post and ("naive", 1) in post:
        g, n = median([r["ok_rps"] for r in post[("group", 1)]]), median([r["ok_rps"] for r in post[("naive", 1)]])
        if g < n:
            notes.append(f"At 1 connection over HTTP, group commit ({g:,.0f} saves/s) is slower than naive mode ({n:,.0f}): "
                         "group commit writes even a one-save batch as a pack with its index, naive mode as loose objects.")
    memory = ctx.data.get("sizes", {}).get("memory")
    if memory:
        notes.append(f"Memory after large documents: once the size runs had loaded and diffed the 5 MB document "
                     f"(word diff included), `folio serve` had peaked at {fmt_mib(memory['VmHWM'])} and still held "
                     f"{fmt_mib(memory['VmRSS'])} resident.")
    http = ctx.data.get("http", {})
    if http.get("get_quiet") and http.get("get"):
        loud = median([r["ok_rps"] for r in http["get"] if r["conns"] == 64])
        quiet = median([r["ok_rps"] for r in http["get_quiet"]])
        notes.append(f"GET at 64 connections: {loud:,.0f} req/s with the default info-level request log, {quiet:,.0f} req/s "
                     "with `FOLIO_LOG_LEVEL=warning`.")
    return notes


def integrity_notes(ctx):
    notes = []
    rows = [("HTTP", r) for r in ctx.data.get("http", {}).get("post", [])] + [("S3 mirror", r) for r in ctx.data.get("s3", {}).get("folio", [])]
    for where, r in rows:
        label = f"{where} POST {r.get('mode', 'group')} c={r['conns']} run {r.get('run', 0) + 1}"
        if r["lost"]:
            notes.append(f"**LOST SAVES**: {label}: {r['ok']} 2xx answers but only {r['commits']} commits on main.")
        if r["unexpected_extra"]:
            notes.append(f"{label}: {r['commits']} commits for {r['ok']} 2xx answers — more than the {r['conns']} in flight at the end.")
        if r["status"]:
            notes.append(f"{label}: {r['status']} non-2xx answers.")
        if r["timeout"]:
            notes.append(f"{label}: {r['timeout']} requests timed out in wrk.")
        if r.get("exit_code") not in (0, None):
            notes.append(f"{label}: `folio serve` exited {r['exit_code']} on SIGTERM.")
        if r.get("server", {}).get("fatal"):
            notes.append(f"{label}: the server log shows a crash.")
        if r.get("server", {}).get("error_level_lines"):
            notes.append(f"{label}: {r['server']['error_level_lines']} error-level lines in the server log.")
        verify = r.get("verify")
        if verify is not None and (verify.get("missing") or verify.get("stale") or "error" in verify):
            notes.append(f"{label}: mirror verify after the run: {verify}.")
    for r in ctx.data.get("http", {}).get("get", []):
        if r["status"] or r["timeout"]:
            notes.append(f"HTTP GET c={r['conns']}: {r['status']} non-2xx, {r['timeout']} timeouts.")
    hist = ctx.data.get("history", {})
    if hist:
        folio_count = hist.get("inprocess", {}).get("full", {}).get("revisions")
        if hist.get("git_revisions") != folio_count or hist.get("http_revisions") not in (folio_count, None):
            notes.append(f"History counts differ: git log {hist.get('git_revisions')}, catalog {folio_count}, HTTP page {hist.get('http_revisions')}.")
        for r in hist.get("get_many", []):
            if r["status"] or r["timeout"]:
                notes.append(f"GETs across {ctx.history_files} files: {r['status']} non-2xx, {r['timeout']} timeouts.")
    s3 = ctx.data.get("s3", {})
    for name, count in s3.get("sync_objects", {}).items():
        if count != s3.get("mirror_files"):
            notes.append(f"{name}: {count} objects in the bucket for {s3.get('mirror_files')} files.")
    return notes


def commands_block(ctx, w, *sections):
    lines = [line for section in sections for line in ctx.commands.get(section, [])]
    if not lines:
        return
    w("<details><summary>Commands</summary>")
    w("")
    w("```sh")
    for line in lines:
        w(line)
    w("```")
    w("")
    w("</details>")
    w("")


def section_http_report(ctx, w):
    http = ctx.data["http"]
    w("## 1. HTTP (`folio serve`, wrk in a separate process)")
    w("")
    w(f"wrk {ctx.seconds} s per run, `--latency`, `--timeout 30s`, 1 thread at 1 connection and 2 threads otherwise. "
      "GET loads one ~1 KB PRD. POST: every request carries distinct content (so each is a real commit): "
      "even-numbered requests of a wrk thread save one shared file, odd-numbered ones round-robin over 1,000 other "
      "files, ~1.1 KB of content each. Each POST run starts `folio serve` on a fresh data folder; group commit "
      "(the default) and naive mode (`FOLIO_MAX_BATCH=1 FOLIO_PACKED_WRITES=0`) alternate within each run. "
      "`commits` is `git rev-list --count main` after the server stopped (SIGTERM finishes queued saves), "
      "compared with the 2xx answers wrk counted.")
    w("")
    w("### GET")
    w("")
    w("| connections | req/s | p50 | p99 | non-2xx | server VmRSS after |")
    w("|---:|---:|---:|---:|---:|---:|")
    for (conns,), rows in sorted(grouped(http["get"], "conns").items()):
        w(f"| {conns} | {fmt_int(median([r['ok_rps'] for r in rows]))} | {fmt_ms(median([r['p50_ms'] for r in rows]))} | "
          f"{fmt_ms(median([r['p99_ms'] for r in rows]))} | {sum(r['status'] for r in rows)} | {fmt_mib(max(r['VmRSS'] for r in rows))} |")
    if http.get("get_quiet"):
        rows = http["get_quiet"]
        w(f"| 64, `FOLIO_LOG_LEVEL=warning` (no per-request log line) | {fmt_int(median([r['ok_rps'] for r in rows]))} | "
          f"{fmt_ms(median([r['p50_ms'] for r in rows]))} | {fmt_ms(median([r['p99_ms'] for r in rows]))} | {sum(r['status'] for r in rows)} | |")
    w("")
    w("### POST (durable saves)")
    w("")
    w("| connections | group commit saves/s | p50 | p99 | naive saves/s | p50 | p99 | ratio | commits − 2xx (group; naive), per run | non-2xx | VmHWM max (group; naive) |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|")
    post = grouped(http["post"], "mode", "conns")
    for conns in (1, 8, 64, 256):
        g, n = post.get(("group", conns), []), post.get(("naive", conns), [])
        if not g or not n:
            continue
        gr, nr = median([r["ok_rps"] for r in g]), median([r["ok_rps"] for r in n])
        w(f"| {conns} | {fmt_int(gr)} | {fmt_ms(median([r['p50_ms'] for r in g]))} | {fmt_ms(median([r['p99_ms'] for r in g]))} | "
          f"{fmt_int(nr)} | {fmt_ms(median([r['p50_ms'] for r in n]))} | {fmt_ms(median([r['p99_ms'] for r in n]))} | {gr / nr:.1f}× | "
          f"{', '.join(str(r['commits_minus_ok']) for r in g)}; {', '.join(str(r['commits_minus_ok']) for r in n)} | "
          f"{sum(r['status'] for r in g + n)} | {fmt_mib(max(r['VmHWM'] for r in g))}; {fmt_mib(max(r['VmHWM'] for r in n))} |")
    w("")
    w("Commits per run (2xx answers → commits on main), group: " + "; ".join(
        f"c={r['conns']}: {r['ok']}→{r['commits']}" for r in http["post"] if r["mode"] == "group"))
    w("")
    w("Naive: " + "; ".join(f"c={r['conns']}: {r['ok']}→{r['commits']}" for r in http["post"] if r["mode"] == "naive"))
    w("")
    commands_block(ctx, w, "http")


def section_s3_report(ctx, w):
    s3 = ctx.data["s3"]
    w("## 3. Object store: plain PUTs beside Folio with the S3 mirror (local SeaweedFS)")
    w("")
    w(f"SeaweedFS (`weed mini` from `scripts/seaweedfs.sh`) on loopback. boto3: N threads sharing one client, each "
      f"PUTting the POST workload's envelopes (distinct content, half to one shared key, half over 1,000 keys) for "
      f"{ctx.seconds} s. Folio: `folio serve` with `FILE_STORAGE_TYPE=s3` on a fresh store, wrk with the POST script at "
      "N connections; the mirror worker (8 parallel PUTs) publishes each file's latest commit after each group "
      "commit, so one mirror PUT can stand for several saves of a file. \"Mirror drained\" is how long after wrk "
      "stopped the outbox was empty; `folio mirror verify --dry-run` then checks every file's object carries its "
      "current commit.")
    w("")
    w("| N | boto3 PUT/s | p50 | p99 | Folio saves/s (S3 mirror) | p50 | p99 | mirror drained after | verify: checked / missing / stale | commits − 2xx | VmHWM max |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    boto = grouped(s3["boto3"], "conns")
    folio = grouped(s3["folio"], "conns")
    for conns in (1, 8, 64):
        b, f = boto.get((conns,), []), folio.get((conns,), [])
        if not b or not f:
            continue
        verify = "; ".join(f"{r['verify'].get('checked', '?')} / {r['verify'].get('missing', '?')} / {r['verify'].get('stale', '?')}" for r in f)
        w(f"| {conns} | {fmt_int(median([r['puts_per_s'] for r in b]))} | {fmt_ms(median([r['p50_ms'] for r in b]))} | "
          f"{fmt_ms(median([r['p99_ms'] for r in b]))} | {fmt_int(median([r['ok_rps'] for r in f]))} | "
          f"{fmt_ms(median([r['p50_ms'] for r in f]))} | {fmt_ms(median([r['p99_ms'] for r in f]))} | "
          f"{median([r['drain_s'] for r in f]):.1f} s | {verify} | {', '.join(str(r['commits_minus_ok']) for r in f)} | "
          f"{fmt_mib(max(r['VmHWM'] for r in f))} |")
    w("")
    files = s3.get("mirror_files")
    if s3.get("sync"):
        build = s3.get("build", {})
        w(f"The {files:,} files (one create commit each) were written with `git fast-import` "
          f"(`Benchmarks/tools/history_repo.py`, {build.get('fast_import_s', 0):.0f} s) and ingested by Folio's own "
          f"`folio reindex` ({build.get('reindex_s', 0):.0f} s, {files / max(build.get('reindex_s', 1), 1e-9):,.0f} commits/s); "
          f"the local mirror folder holds the same {files:,} envelopes the other uploaders read. `folio mirror sync` "
          "requeues every live file and drains the outbox (8 parallel PUTs); its time includes process start and "
          f"opening the store. hyperfine, {ctx.runs} run(s) each, back to back.")
        w("")
        w("| uploader | median | min | max | PUTs/s at the median | objects in the bucket after |")
        w("|---|---:|---:|---:|---:|---:|")
        for name, value in s3["sync"].items():
            w(f"| {name} | {value['median_s']:.2f} s | {value['min_s']:.2f} s | {value['max_s']:.2f} s | "
              f"{files / value['median_s']:,.0f} | {s3['sync_objects'].get(name, 'new prefix each run')} |")
        w("")
    commands_block(ctx, w, "s3")


def section_history_report(ctx, w):
    h = ctx.data["history"]
    build, check = h["build"], h["check"]
    w(f"## 4. History of one file in a repository of {h['commits']:,} commits")
    w("")
    w(f"{build['files']:,} distinct files (one create commit each, 250 per project) and {build['tracked']:,} revisions "
      f"of `{TRACKED_KEY}` spread evenly through the history, with the commit messages, trailers, authors and "
      f"envelopes Folio's saves make. The commits go in with `git fast-import` ({build['fast_import_s']:.0f} s; "
      f"{h['packs']} pack, {h['repo_mib']:,.0f} MiB of objects) and the catalog rows are written directly "
      f"({build['catalog_s']:.1f} s), because Folio's own paths take far longer at this size (see Findings: saves "
      "slow down as packs accumulate, and `folio reindex` ingests a few hundred commits/s). In the same run the "
      f"direct rows were checked against `folio reindex` on a {check['documents']:,}-file store: "
      f"{'identical' if check['identical'] else 'DIFFERENT: ' + json.dumps(check['differences'])} "
      f"(documents, revisions and the ingested tip). git and the catalog agree on the file's history: "
      f"`git log -- key` lists {h['git_revisions']} commits, the catalog {h['inprocess'].get('full', {}).get('revisions')}.")
    w("")
    w("| method | first 50 revisions (p50 / median) | all revisions | notes |")
    w("|---|---:|---:|---|")
    w(f"| Folio catalog, in-process (`folio-bench history`) | {fmt_ms(h['inprocess']['first50']['p50_ms'])} | "
      f"{fmt_ms(h['inprocess']['full']['p50_ms'])} | p99 {fmt_ms(h['inprocess']['first50']['p99_ms'])} / {fmt_ms(h['inprocess']['full']['p99_ms'])} |")
    hf, hl = h["http"]["first50"], h["http"]["full"]
    w(f"| Folio over HTTP (`…/history/?limit=50` and `limit=1000`, wrk 1 connection) | {fmt_ms(median([r['p50_ms'] for r in hf]))} | "
      f"{fmt_ms(median([r['p50_ms'] for r in hl]))} | p99 {fmt_ms(median([r['p99_ms'] for r in hf]))} / {fmt_ms(median([r['p99_ms'] for r in hl]))} |")
    gp, gg = h["git_plain"], h["git_graph"]
    w(f"| `git log --format=%H -- key`, no commit-graph | {fmt_ms(gp['git log -n 50 -- key']['median_s'] * 1000)} | "
      f"{fmt_ms(gp['git log -- key']['median_s'] * 1000)} | hyperfine, {gp['git log -n 50 -- key']['runs']} and {gp['git log -- key']['runs']} runs |")
    w(f"| same, after `git commit-graph write --reachable --changed-paths` ({h['commit_graph_write_s']:.1f} s) | "
      f"{fmt_ms(gg['git log -n 50 -- key']['median_s'] * 1000)} | {fmt_ms(gg['git log -- key']['median_s'] * 1000)} | hyperfine, 10 runs |")
    w("")
    w("`git log -n 50` is the first page (50 most recent revisions); the full history is every revision. "
      "git's times include starting the process; Folio's HTTP times include the request over loopback.")
    w("")
    w(h["inprocess_markdown"])
    w("")
    commands_block(ctx, w, "history")


def section_sizes_report(ctx, w):
    s = ctx.data["sizes"]
    w("## 5. Load and diff latency by document size")
    w("")
    w("Two revisions of a 1 KB, 100 KB and 5 MB PRD (markdown-like lines; the second revision edits ten lines "
      "spread through the document and appends one). In-process: `folio-bench sizes`. Over HTTP: `folio serve` "
      f"over a store seeded by `folio-bench seed-sizes`, wrk at 1 connection for {ctx.size_seconds} s per run "
      "(longer for routes slower than that: about four requests' worth, at most 60 s; see the commands), "
      "median of the runs' p50 and p99; the request column counts all runs together.")
    w("")
    w("| size | operation | in-process p50 | in-process p99 | HTTP p50 | HTTP p99 | HTTP requests |")
    w("|---|---|---:|---:|---:|---:|---:|")
    inproc = {(r["size"], r["op"]): r for r in s["inprocess"]}
    for row in s["http"]:
        i = inproc.get((row["size"], row["op"]), {})
        w(f"| {row['size']} | {row['op']} | {fmt_ms(i.get('p50_ms', float('nan')))} | {fmt_ms(i.get('p99_ms', float('nan')))} | "
          f"{fmt_ms(row['p50_ms'])} | {fmt_ms(row['p99_ms'])} | {row['requests']} |")
    w("")
    w("<details><summary>In-process table as printed by folio-bench (includes loads at the older revision)</summary>")
    w("")
    w(s["inprocess_markdown"])
    w("")
    w("</details>")
    w("")
    commands_block(ctx, w, "sizes")


def section_memory_report(ctx, w):
    w("## 6. Peak resident memory of `folio serve` (VmHWM from /proc/PID/status)")
    w("")
    w("| when | VmHWM | VmRSS at the time |")
    w("|---|---:|---:|")
    http = ctx.data.get("http", {})
    for mode in ("group", "naive"):
        rows = [r for r in http.get("post", []) if r["mode"] == mode]
        if rows:
            top = max(rows, key=lambda r: r["VmHWM"])
            w(f"| HTTP POST runs, {mode} (max over runs; worst at c={top['conns']}) | {fmt_mib(top['VmHWM'])} | {fmt_mib(top['VmRSS'])} |")
    rows = ctx.data.get("s3", {}).get("folio", [])
    if rows:
        top = max(rows, key=lambda r: r["VmHWM"])
        w(f"| HTTP POST runs with the S3 mirror (max; worst at c={top['conns']}) | {fmt_mib(top['VmHWM'])} | {fmt_mib(top['VmRSS'])} |")
    h = ctx.data.get("history", {})
    if h.get("memory_final"):
        w(f"| {ctx.history_files:,}-file store: right after start ({h['startup_s']:.1f} s to listen) | {fmt_mib(h['rss_after_start']['VmHWM'])} | {fmt_mib(h['rss_after_start']['VmRSS'])} |")
        w(f"| … after the history runs | {fmt_mib(h['rss_after_history']['VmHWM'])} | {fmt_mib(h['rss_after_history']['VmRSS'])} |")
        for index, r in enumerate(h["get_many"]):
            w(f"| … after GET run {index + 1} across all files (64 connections, {ctx.seconds * 2} s, {r['rps']:,.0f} req/s) | {fmt_mib(r['VmHWM'])} | {fmt_mib(r['VmRSS'])} |")
    sizes = ctx.data.get("sizes", {})
    if sizes.get("memory"):
        w(f"| after the size runs (5 MB loads and diffs) | {fmt_mib(sizes['memory']['VmHWM'])} | {fmt_mib(sizes['memory']['VmRSS'])} |")
    w("")
    commands_block(ctx, w, "memory")


def cleanup():
    for server in list(live_servers):
        try:
            server.stop()
        except Exception as error:  # keep stopping the others
            log(f"stopping a server failed: {error}")
    stop_seaweed()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--bin", help="folder holding the release folio and folio-bench")
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", help="work folder (default: a new /tmp/folio-bench-TIMESTAMP)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--only", help="comma-separated sections: http,core,s3,history,sizes")
    parser.add_argument("--report-only", metavar="STATE", help="rewrite --out from a kept run's state.json, running nothing")
    args = parser.parse_args()
    if args.report_only:
        with open(args.report_only) as handle:
            state = json.load(handle)
        ctx = Context.__new__(Context)
        for name, value in state["context"].items():
            setattr(ctx, name, value)
        ctx.timings = {name: tuple(value) for name, value in ctx.timings.items()}
        write_report(ctx, args.out, state["started_at"], state["total_s"], state.get("failed", ()))
        log(f"wrote {args.out} from {args.report_only}")
        return
    if not args.bin:
        parser.error("--bin is required")
    ctx = Context(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sections = {"http": section_http, "core": section_core, "s3": section_s3, "history": section_history, "sizes": section_sizes}
    chosen = args.only.split(",") if args.only else list(sections)
    started_at = time.strftime("%Y-%m-%d %H:%M %Z")
    started = time.monotonic()
    ctx.data["machine"] = machine()
    log(f"work folder {ctx.work}; sections {', '.join(chosen)}")
    failed = []
    try:
        for name in chosen:
            before = loadavg()
            t0 = time.monotonic()
            log(f"== {name} (load average {before})")
            try:
                sections[name](ctx)
            except Exception as error:
                log(f"section {name} FAILED: {error}")
                failed.append(f"{name}: {error}")
                cleanup()
            ctx.timings[name] = (time.monotonic() - t0, before, loadavg())
    finally:
        cleanup()
    total_s = time.monotonic() - started
    keep = ("quick", "runs", "seconds", "size_seconds", "history_files", "history_tracked", "mirror_files", "commands", "data", "timings")
    with open(os.path.join(ctx.work, "state.json"), "w") as handle:
        json.dump({"context": {name: getattr(ctx, name) for name in keep}, "started_at": started_at, "total_s": total_s,
                   "failed": failed}, handle, indent=1, default=str)
    write_report(ctx, args.out, started_at, total_s, failed)
    log(f"wrote {args.out} in {(time.monotonic() - started) / 60:.1f} min")
    if not args.keep:
        shutil.rmtree(ctx.work, ignore_errors=True)
    else:
        log(f"kept {ctx.work}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        cleanup()
        sys.exit(130)
