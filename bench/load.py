"""Load on loopback: wrk for the pages, threads of HTTP clients for purchases."""

import http.client
import json
import os
import queue
import statistics
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

LUA = Path(__file__).resolve().parent / "wrk_json.lua"
PURCHASE = "/api/v1/transactions/purchase"


def wrk(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    think_ms: int = 0,
) -> dict:
    """Requests per second and latency percentiles of GET `url`, from wrk
    (one thread, `connections` connections each asking again at once, or
    after a pause of about `think_ms` when given: a fan reading the page)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(LUA), url]
    output = subprocess.run(  # noqa: S603 (wrk, from Debian's packages)
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "WRK_THINK_MS": str(think_ms)},
    ).stdout
    summary = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    seconds_run = summary["duration_us"] / 1e6
    latency = summary["latency_us"]
    errors = summary["errors"]
    return {
        "rps": round(summary["requests"] / seconds_run, 1),
        "requests": summary["requests"],
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "non_2xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Client:
    """One HTTP/1.1 connection to the site, as one buyer (a bearer token)."""

    def __init__(self, base: str, token: str):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def purchase(self, listing_id: int) -> tuple[int, float]:
        """POST a purchase of `listing_id` (reserve + PaymentIntent); (status, seconds)."""
        body = json.dumps({"listing_id": listing_id})
        started = time.perf_counter()
        try:
            self.connection.request("POST", PURCHASE, body=body, headers=self.headers)
            response = self.connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0  # no answer at all
            self.connection.close()
        return status, time.perf_counter() - started


def _tally(statuses: list[int]) -> dict:
    return {
        "sold": statuses.count(201),
        "conflicts_409": statuses.count(409),
        "server_errors_5xx": sum(1 for s in statuses if s >= 500),
        "no_answer": statuses.count(0),
        "other": sum(1 for s in statuses if s not in (0, 201, 409) and s < 500),
    }


def flash_round(base: str, tokens: list[str], listing_id: int) -> dict:
    """Every token tries to buy `listing_id` at the same instant (a barrier
    releases the requests together); how many sold, and when all had answers."""
    clients = [Client(base, token) for token in tokens]
    for client in clients:
        client.connection.connect()
    barrier = threading.Barrier(len(clients) + 1)
    results: list[tuple[int, float, float]] = [(0, 0.0, 0.0)] * len(clients)

    def attempt(index: int) -> None:
        barrier.wait()
        status, took = clients[index].purchase(listing_id)
        results[index] = (status, took, time.perf_counter())

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    for client in clients:
        client.connection.close()
    latencies = [took for _, took, _ in results]
    return {
        "listing_id": listing_id,
        "attempts": len(clients),
        **_tally([status for status, _, _ in results]),
        "all_answered_s": round(max(done for _, _, done in results) - started, 3),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
    }


def purchase_run(base: str, jobs: list[tuple[str, int]], *, concurrency: int) -> dict:
    """Buy each (token, listing id) of `jobs` once, `concurrency` at a time."""
    work: queue.Queue = queue.Queue()
    for job in jobs:
        work.put(job)
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def buyer() -> None:
        clients: dict[str, Client] = {}
        while True:
            try:
                token, listing_id = work.get_nowait()
            except queue.Empty:
                return
            client = clients.setdefault(token, Client(base, token))
            outcome = client.purchase(listing_id)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=buyer) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [took for _, took in results]
    return {
        "purchases": len(results),
        "concurrency": concurrency,
        **_tally([status for status, _ in results]),
        "seconds": round(elapsed, 2),
        "per_second": round(len(results) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }
