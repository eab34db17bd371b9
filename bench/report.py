"""bench/results/: the figures as JSON, a short Markdown summary and a chart."""

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = "minimal view"

# Issue 17's goals (the "Goals" table at the top of the summary).
PAGE_GOALS = {
    "event page (50 listings)": ("8", "64"),
    "event page, logged in (50 listings)": ("8", "64"),
    "GET /api/v1/listings?event_id=": ("8",),
    "GET /api/v1/events": ("8",),
}
PAGE_RATIO_GOAL = 0.5
SEARCH_P99_GOAL_MS = 50
PURCHASES_GOAL_PER_SECOND = 200
STALENESS_GOAL_MS = 1000
RUN_GOAL_SECONDS = 15 * 60
# "No growth": a worker may end at most this much above its reading after the
# warm-up (a worker's first purchases and listings after the page warm-up added
# about 5%, once: the Stripe client, the purchase's queries).
MEMORY_GROWTH_TOLERANCE = 0.10


def _cost(pages: dict, name: str, level: str) -> str:
    """How many minimal-view requests one request of `name` costs, at `level`."""
    page, base = pages[name][level], pages[BASELINE][level]
    if not page["rps"]:
        return "n/a"
    return f"{base['rps'] / page['rps']:.1f}×"


def _pages_tables(results: dict) -> list[str]:
    pages = results["pages"]
    levels = list(pages[BASELINE])
    head = "| page | " + " | ".join(f"c={level}" for level in levels) + " |"
    rule = "|---|" + "---:|" * len(levels)
    lines = [
        "## Cost of each page, as a ratio to the minimal view",
        "",
        "The minimal view's requests per second divided by the page's, at the same",
        "concurrency in the same run (1.0× = as cheap as a view that does nothing).",
        "",
        head,
        rule,
    ]
    for name in pages:
        if name != BASELINE:
            cells = " | ".join(_cost(pages, name, level) for level in levels)
            lines.append(f"| {name} | {cells} |")
    lines += ["", "## Requests per second, and latency p50 / p99 (ms)", "", head, rule]
    for name, by_level in pages.items():
        cells = " | ".join(
            f"{m['rps']:.0f}/s, {m['p50_ms']:.1f} / {m['p99_ms']:.1f}"
            + (f" ({m['non_2xx']} non-2xx)" if m["non_2xx"] else "")
            for m in by_level.values()
        )
        lines.append(f"| {name} | {cells} |")
    return lines


def _flash_table(results: dict) -> list[str]:
    rounds = results["flash_sale"]["rounds"]
    lines = [
        "| round | attempts | sold | 409 | 5xx | no answer | transactions in the database "
        "| all answered (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for number, r in enumerate(rounds, 1):
        lines.append(
            f"| {number} | {r['attempts']} | {r['sold']} | {r['conflicts_409']} "
            f"| {r['server_errors_5xx']} | {r['no_answer']} | {r['transactions_in_database']} "
            f"| {r['all_answered_s']:.2f} |"
        )
    return lines


def _cancellation_lines(results: dict) -> list[str]:
    c = results.get("event_cancellation")
    if not c:
        return []
    failed_seeds = {k: v for k, v in c["seed_outcomes"].items() if k != "paid"}
    errors = c["step_errors"] or "none"
    return [
        f"## A cancelled event: {c['paid_before']:,} purchases refunded",
        "",
        f"Seeded through the services (purchase, then pay with a test card, "
        f"{c['seed_threads']} threads): {c['purchases']:,} purchases in "
        f"{c['seed_seconds']:.0f} s, **{c['purchases_per_second']:.1f} purchases/s**"
        + (f" (not paid: {failed_seeds})" if failed_seeds else "")
        + ". Cancelled by staff, then the job's steps (batches of "
        f"{c['batch_size']}) run by {c['racing_workers']} workers at once: everything settled "
        f"in **{c['cancellation_seconds']:.0f} s, {c['refunds_per_second']:.1f} refunds/s**; "
        f"{c['steps']} steps, p50 {c['step_p50_s']:.2f} s, p99 {c['step_p99_s']:.2f} s, "
        f"worst {c['step_max_s']:.2f} s; step errors: {errors}.",
        "",
        f"Refunded in the database {c['refunded_in_database']:,} "
        f"(not refunded {c['not_refunded_in_database']}); the run {c['run_state']}, "
        f"counted {c['run_refunded']:,} refunded and {c['run_failed']} failed; at the local "
        f"Stripe {c['refunds_at_stripe']:,} refunds of {c['intents_refunded_at_stripe']:,} "
        f"PaymentIntents, **{c['duplicate_refunds']} duplicates**, "
        f"{c['intents_not_refunded_at_stripe']} not refunded, "
        f"{c['refunds_of_wrong_amount']} of the wrong amount. Bench process peak "
        f"{c['bench_process_peak_rss_mb']:.0f} MB resident.",
        "",
    ]


def _ms(spread: dict) -> str:
    if spread["p50"] is None:
        return "n/a"
    p50, p99, worst = spread["p50"], spread["p99"], spread["max"]
    return f"p50 {p50:,.0f} ms, p99 {p99:,.0f} ms, worst {worst:,.0f} ms"


def waitlist_lines(results: dict) -> list[str]:
    """The waiting list step (bench/waitlist.py) beside the issue's goals."""
    w = results.get("waitlist")
    if not w:
        return []
    a, i = w["accept"], w["intruders"]
    join_errors = {k: v for k, v in w["join_outcomes"].items() if k != "joined"}
    listing_errors = w["listing_errors"] or "none"
    in_order = "yes" if w["offered_in_order"] else "**no**"
    return [
        f"## Waiting list: {w['fans']:,} fans, {w['tickets']:,} tickets listed in a minute",
        "",
        f"Measured {w['when']} in {w['step_seconds']:.0f} s. Fans joined through the "
        f"service ({w['join_threads']} threads); tickets listed by their sellers through "
        f"`POST /api/v1/listings` ({w['listing_clients']} connections, on a schedule spread "
        f"over {w['schedule_seconds']:.0f} s); offers bought through "
        "`POST /api/v1/transactions/purchase` with a test card"
        + (" (a local Stripe of the step's own, empty)." if w.get("local_stripe") else "."),
        "",
        "| what | goal | measured |",
        "|---|---|---|",
        f"| fans on one event's list | 10,000 | {w['entries_waiting']:,} waiting, joined at "
        f"**{w['join_per_second']:.0f}/s** ({w['join_seconds']:.0f} s, "
        f"{w['join_audit_rows']:,} audit rows"
        + (f", failed: {join_errors}" if join_errors else "")
        + ") |",
        f"| tickets listed | 1,000 within one minute | {w['listing_statuses'].get('201', 0):,} "
        f"listed, the last answered after **{w['listed_in_seconds']:.0f} s** "
        f"({w['listed_per_second']:.1f}/s); request {_ms(w['listing_request_ms'])}; "
        f"refused: {listing_errors} |",
        f"| each ticket offered to the right fan, in order | the first {w['tickets']:,} in "
        f"line | {in_order}: {w['listings_with_one_open_offer']:,} listings with one open "
        f"offer, {w['offered_outside_first']} offers beyond the first {w['tickets']:,}, "
        f"{w['listings_without_offer']} listings without; order swaps up to "
        f"{w['order_displacement_max']} places |",
        f"| listing → offer sent (email in the outbox) | p50, p99 | "
        f"**{_ms(w['listing_to_offer_ms'])}** (the pass-on itself: "
        f"{_ms(w['pass_on_to_offer_ms'])}) |",
        f"| double offers | 0 | **{w['double_offers']}** ({w['fans_with_two_offers']} fans "
        f"with two, {w['listings_offered_twice']} listings offered twice) |",
        f"| listings public meanwhile | 0 | **{w['public_meanwhile']}** (most seen by the "
        f"public search: {w['public_seen_max']} in {w['public_polls']} polls; released "
        f"{w['released_to_public']}) |",
        f"| {a['buyers']} offered fans buy at once | all bought, 0 5xx | "
        f"**{a['created']} × 201**, {a['conflicts']} × 409, **{a['errors_5xx']} × 5xx**, "
        f"{a['no_answer']} unanswered; p50 {a['p50_ms']:,.0f} ms, p99 {a['p99_ms']:,.0f} ms, "
        f"all answered in {a['all_answered_s']:.0f} s ({a['bought_per_second']:.1f} paid "
        f"purchases/s); {a['paid_in_database']} paid in the database |",
        f"| {i['tries']} others try the same listings at once | 409 TICKET_NOT_AVAILABLE, "
        f"0 succeed | **{i['succeeded']} succeeded**, "
        f"{i['ticket_not_available_409']} × 409 TICKET_NOT_AVAILABLE, {i['errors_5xx']} × 5xx |",
        "",
    ]


def _goal(goal: str, target: str, measured: str, met: bool | None) -> dict:
    return {"goal": goal, "target": target, "measured": measured, "met": met}


def _page_goals(results: dict) -> list[dict]:
    pages = results.get("pages") or {}
    rows = []
    for name, levels in PAGE_GOALS.items():
        for level in levels:
            page = pages.get(name, {}).get(level)
            base = pages.get(BASELINE, {}).get(level)
            target = f"≥ {PAGE_RATIO_GOAL}× the minimal view's requests/s"
            if not page or not base or not base["rps"]:
                rows.append(_goal(f"{name}, c={level}", target, "not measured", None))
                continue
            ratio = page["rps"] / base["rps"]
            measured = f"{ratio:.2f}× ({page['rps']:.0f}/s against {base['rps']:.0f}/s)"
            rows.append(_goal(f"{name}, c={level}", target, measured, ratio >= PAGE_RATIO_GOAL))
    return rows


def _sale_goals(results: dict) -> list[dict]:
    rows = []
    for name, measured in (results.get("search") or {}).items():
        kinds = [(f"search: {name}", measured)]
        if measured.get("built"):
            kinds.append(
                (f"search: {name}, built from the database (cache missed)", measured["built"])
            )
        rows += [
            _goal(
                goal,
                f"p99 ≤ {SEARCH_P99_GOAL_MS} ms",
                f"p99 {figures['p99_ms']:.1f} ms",
                figures["p99_ms"] <= SEARCH_P99_GOAL_MS,
            )
            for goal, figures in kinds
        ]
    throughput = results.get("purchase_throughput")
    if throughput:
        rows.append(
            _goal(
                f"purchases, {throughput['concurrency']} buyers at once",
                f"≥ {PURCHASES_GOAL_PER_SECOND}/s",
                f"{throughput['per_second']:.1f}/s ({throughput['server_errors_5xx']} 5xx)",
                throughput["per_second"] >= PURCHASES_GOAL_PER_SECOND,
            )
        )
    flash = results.get("flash_sale")
    if flash:
        rows.append(
            _goal(
                f"flash sale, {flash['attempts_per_round']} buyers on one listing",
                "exactly 1 sold per round, 0 5xx",
                f"sold per round {flash['sold_per_round']}, {flash['server_errors_5xx']} 5xx",
                flash["sold_per_round"] == [1] and flash["server_errors_5xx"] == 0,
            )
        )
    return rows


def _rush_goals(results: dict) -> list[dict]:
    r = results.get("rush")
    if not r:
        return []
    sales, stale = r["sales_per_listing"], r["staleness"]["stale_ms"]
    errors = r["server_errors_5xx"] + r["page"].get("non_2xx", 0)
    worst = stale["max"]
    return [
        _goal(
            "rush: purchases per listing sold",
            "exactly 1",
            f"{sales['listings_sold']} listings sold, {sales['listings_with_more']} with more "
            f"than one (most {sales['most_on_one_listing']})",
            sales["listings_sold"] > 0 and sales["listings_with_more"] == 0,
        ),
        _goal(
            "rush: errors",
            "0 5xx",
            f"{r['server_errors_5xx']} 5xx; the fans' page: {r['page'].get('non_2xx', 0)} "
            f"non-2xx, {r['page'].get('socket_errors', 0)} socket errors (timeouts)",
            errors == 0,
        ),
        _goal(
            "rush: staleness of the event page",
            f"≤ {STALENESS_GOAL_MS / 1000:.0f} s",
            "not measured"
            if worst is None
            else f"worst {worst:,.0f} ms (p50 {stale['p50']:,.0f}, p99 {stale['p99']:,.0f})",
            None if worst is None else worst <= STALENESS_GOAL_MS,
        ),
    ]


def _memory_goal(memory: dict | None) -> list[dict]:
    if not memory or "start" not in memory:
        return []
    start, end = memory["start"]["per_worker_mb"], memory["end"]["per_worker_mb"]
    grown = [
        pid for pid, mb in end.items() if mb > start.get(pid, 0) * (1 + MEMORY_GROWTH_TOLERANCE)
    ]
    replaced = sorted(set(start) ^ set(end))
    return [
        _goal(
            "memory of the web workers: no growth",
            f"each worker at most {MEMORY_GROWTH_TOLERANCE:.0%} above its reading after the "
            "warm-up",
            f"{memory['start']['total_mb']:.0f} → {memory['end']['total_mb']:.0f} MB in all "
            f"over {memory['seconds_apart']:.0f} s; {len(grown)} worker(s) grew more"
            + (f"; workers replaced: {len(replaced)}" if replaced else ""),
            not grown and not replaced,
        )
    ]


def goals(results: dict) -> list[dict]:
    """Each speed goal beside its figure: met, not met, or None (not measured)."""
    total = results.get("total_seconds")
    run = (
        [
            _goal(
                "whole run (`make bench`)",
                f"< {RUN_GOAL_SECONDS // 60} min",
                f"{total // 60:.0f} min {total % 60:.0f} s",
                total < RUN_GOAL_SECONDS,
            )
        ]
        if total
        else []
    )
    return [
        *_page_goals(results),
        *_sale_goals(results),
        *_rush_goals(results),
        *_memory_goal(results.get("memory")),
        *run,
    ]


def goals_table(rows: list[dict]) -> list[str]:
    verdict = {True: "met", False: "**not met**", None: "–"}
    lines = [
        "## Goals",
        "",
        "| goal | target | measured | |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {g['goal']} | {g['target']} | {g['measured']} | {verdict[g['met']]} |" for g in rows
    ]
    met = sum(1 for g in rows if g["met"])
    return [*lines, "", f"{met} of {len(rows)} goals met.", ""]


def _spread_ms(spread: dict) -> str:
    if spread["p50"] is None:
        return "n/a"
    return (
        f"p50 {spread['p50']:,.0f} ms, p99 {spread['p99']:,.0f} ms, worst {spread['max']:,.0f} ms"
    )


def _wrk_cell(m: dict) -> str:
    if not m:
        return "n/a"
    return (
        f"{m['rps']:.0f}/s, p50 {m['p50_ms']:,.0f} ms, p99 {m['p99_ms']:,.0f} ms, "
        f"{m['non_2xx']} non-2xx, {m['socket_errors']} socket errors"
    )


def money_lines(results: dict) -> list[str]:
    """Step 3b (bench/money.py): the money filter's cost per event page."""
    m = results.get("money")
    if not m:
        return []
    lines = [
        f"## Money on the event page ({m['amounts_per_page']} amounts per page)",
        "",
        "ms per page to write its amounts: the English-only formatter before, Babel's "
        "format_currency each time (a price not seen before), and as pages call it "
        "(remembered); beside the whole page's build (p50, as a visitor, cache token "
        "replaced before each build).",
        "",
        "| language | before | Babel, first build | Babel, remembered | page build |",
        "|---|---|---|---|---|",
    ]
    for language, f in m["languages"].items():
        lines.append(
            f"| {language} | {f['before_ms']:.3f} | {f['babel_first_build_ms']:.3f} | "
            f"{f['babel_remembered_ms']:.3f} | {f['page_build_ms_p50']:.1f} |"
        )
    return [*lines, ""]


def rush_lines(results: dict) -> list[str]:
    """The rush step (bench/rush.py)."""
    r = results.get("rush")
    if not r:
        return []
    buys, sells, sales = r["purchases"], r["new_listings"], r["sales_per_listing"]
    stale, reads = r["staleness"], r["page_reads"]
    one_each = "yes" if sales["listings_with_more"] == 0 else "**no**"
    other = f", other: {buys['other']}" if buys["other"] else ""
    sell_other = f", refused: {sells['other']}" if sells["other"] else ""
    return [
        f"## A rush: {r['fans']:,} fans on one event page, {r['buyers']} buyers, "
        f"{r['sellers']} sellers, {r['seconds']:.0f} s",
        "",
        f"Each fan reloads the page about every {r['think_ms'] / 1000:.0f} s (wrk, one "
        f"connection per fan); {r['stock']} tickets on sale at the start, "
        f"{r['seller_tickets']} more listed by the sellers through `POST /api/v1/listings` "
        "during the rush; buyers read the page and try one of its cheapest tickets through "
        "`POST /api/v1/transactions/purchase`, again and again.",
        "",
        "| what | measured |",
        "|---|---|",
        f"| the event page under the rush | {_wrk_cell(r['page'])} |",
        f"| the minimal view under the same fans, just before | {_wrk_cell(r['minimal_view'])} |",
        f"| purchases | {buys['attempts']} tries: **{buys['sold_201']} × 201**, "
        f"{buys['conflicts_409']} × 409, **{buys['server_errors_5xx']} × 5xx**, "
        f"{buys['no_answer']} unanswered{other}; {_spread_ms(buys['request_ms'])} |",
        f"| new listings | {sells['attempts']} tries: {sells['listed_201']} × 201, "
        f"**{sells['server_errors_5xx']} × 5xx**{sell_other}; "
        f"{_spread_ms(sells['request_ms'])} |",
        f"| purchases per listing (database) | {sales['listings_sold']} listings sold, "
        f"exactly once each: **{one_each}** ({sales['transactions']} transactions, "
        f"most on one listing {sales['most_on_one_listing']}) |",
        f"| staleness: change → a page read showing it | **{_spread_ms(stale['stale_ms'])}**; "
        f"certainly stale (a later read still without it): "
        f"{_spread_ms(stale['proven_stale_ms'])}; {stale['measured']} of {stale['changes']} "
        f"changes measured ({stale['sales']} sales, {stale['new_listings']} new listings; "
        f"{stale['beyond_first_page']} beyond the first page, {stale['never_shown']} never "
        f"shown); the page answered every {stale['gap_between_answers_ms']['p50']:,.0f} ms "
        f"(p50), at worst after {stale['gap_between_answers_ms']['max']:,.0f} ms |",
        f"| page reads by the watcher and the buyers | {reads['reads']:,}, statuses "
        f"{reads['statuses']}; {_spread_ms(reads['read_ms'])} |",
        "",
    ]


CACHE_PARTS = {
    "event": "the event (with its count and lowest price)",
    "event_tickets": "the event's page of tickets",
    "event_visitor_page": "the whole event page, for visitors",
    "api_search": "pages of API search results",
}


def cache_lines(results: dict) -> list[str]:
    """How often the shared answers came from the cache (bench/cachestats.py)."""
    cache = results.get("cache")
    if not cache:
        return []
    lines = [
        "## Shared answers served from the cache",
        "",
        "Hits and misses counted by the site itself (`encore_cached_answers` on /metrics): "
        "a miss builds the answer from the database once per change.",
        "",
        "| measure | part | hits | misses | hit ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for measure, parts in cache.items():
        for part, figures in parts.items():
            ratio = figures["hit_ratio"]
            lines.append(
                f"| {measure} | {CACHE_PARTS.get(part, part)} | {figures['hits']:,} | "
                f"{figures['misses']:,} | {'–' if ratio is None else f'{ratio:.2%}'} |"
            )
    return [*lines, ""]


def memory_lines(memory: dict) -> list[str]:
    if "start" not in memory:
        return [
            f"**Memory**: {memory['workers']} web workers, at most {memory['max_mb']} MB "
            f"resident each ({memory['total_mb']} MB in all) after the run.",
            "",
        ]
    start, end = memory["start"], memory["end"]
    each = ", ".join(
        f"{start['per_worker_mb'].get(pid, 0):.0f} → {mb:.0f}"
        for pid, mb in end["per_worker_mb"].items()
    )
    soak = memory.get("soak")
    return [
        f"**Memory**: {end['workers']} web workers (none replaced: GUNICORN_MAX_REQUESTS=0), "
        f"resident after the warm-up and again {memory['seconds_apart']:.0f} s later, after "
        f"the rush: {start['total_mb']:.0f} → {end['total_mb']:.0f} MB in all "
        f"({memory['growth_mb']:+.1f} MB); each worker (MB): {each}."
        + (
            f" The fans reloaded the event page for the last {soak['seconds']:.0f} s "
            f"({soak['rps']:.0f}/s)."
            if soak
            else ""
        ),
        "",
    ]


def summary_markdown(results: dict) -> str:
    fill = results["fill"]
    data = results["data"]
    throughput = results["purchase_throughput"]
    flash = results["flash_sale"]
    lines = [
        f"# Benchmark: {results['when']}",
        "",
        f"{results['machine']['cpus']} cores, Python {results['machine']['python']}, "
        f"PostgreSQL and Redis on loopback; gunicorn, {results['server']['workers']} workers "
        f"of {results['server'].get('threads', 1)} threads, production settings (DEBUG off, "
        "Redis cache, a connection pool); wrk, one thread, "
        f"{results['server']['seconds_per_measure']} s per measure.",
        "",
        f"**Data**: {data['events']:,} events, {data['tickets']:,} tickets, "
        f"{data['active_listings']:,} listings on sale, {data['users']:,} accounts. "
        f"Filled in {fill['seed_seconds']:.0f} s (`seed_demo --scale`), migrations "
        f"{fill['migrate_seconds']:.0f} s. Whole run: {results['total_seconds']:.0f} s.",
        "",
        *goals_table(goals(results)),
        *_pages_tables(results),
        "",
        f"![Latency against concurrency]({results['chart']})",
        "",
        f"## Flash sale: {flash['attempts_per_round']} buyers on one listing at once, "
        f"{len(flash['rounds'])} rounds",
        "",
        f"Sold per round: {flash['sold_per_round']}; 5xx in all: {flash['server_errors_5xx']}; "
        f"time to answer everyone: median {flash['all_answered_median_s']:.2f} s, "
        f"worst {flash['all_answered_max_s']:.2f} s.",
        "",
        *_flash_table(results),
        "",
        f"## Purchases: {throughput['purchases']:,} distinct listings of one event",
        "",
        f"Reserve + PaymentIntent at localstripe, {throughput['concurrency']} at a time: "
        f"**{throughput['per_second']:.1f} purchases/s**, p50 {throughput['p50_ms']:.0f} ms, "
        f"p99 {throughput['p99_ms']:.0f} ms; sold {throughput['sold']}, "
        f"409 {throughput['conflicts_409']}, 5xx {throughput['server_errors_5xx']}.",
        "",
        "## Listing and event search at full size (API, one client)",
        "",
        "Served: wrk at one connection (mostly from the cache). Built: each request right "
        "after the catalogue's version token was replaced (never from the cache).",
        "",
        "| search | served p50 / p99 ms | built p50 / p99 ms | database ms (EXPLAIN ANALYZE) "
        "| sequential scans |",
        "|---|---:|---:|---:|---|",
    ]
    for name, plan in results["plans"].items():
        measured = results["search"].get(name)
        served = f"{measured['p50_ms']:.1f} / {measured['p99_ms']:.1f}" if measured else "–"
        built = (measured or {}).get("built")
        built = f"{built['p50_ms']:.1f} / {built['p99_ms']:.1f}" if built else "–"
        scans = ", ".join(plan["seq_scans_on_big_tables"]) or "none"
        lines.append(f"| {name} | {served} | {built} | {plan['execution_ms']:.1f} | {scans} |")
    lines += [
        "",
        *money_lines(results),
        *rush_lines(results),
        *cache_lines(results),
        *memory_lines(results["memory"]),
        *_cancellation_lines(results),
        *waitlist_lines(results),
    ]
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    for name, by_level in results["pages"].items():
        levels = [int(level) for level in by_level]
        style = {"linestyle": "--", "color": "black"} if name == BASELINE else {}
        for axis, key in zip(axes, ("p50_ms", "p99_ms"), strict=True):
            axis.plot(levels, [m[key] for m in by_level.values()], marker="o", label=name, **style)
    rush = results.get("rush")
    if rush:  # the rush's fans, at their number of connections
        for name, measured, marker, color in (
            (f"event page, rush ({rush['fans']:,} fans)", rush["page"], "*", "tab:red"),
            ("minimal view, the same fans", rush["minimal_view"], "x", "black"),
        ):
            for axis, key in zip(axes, ("p50_ms", "p99_ms"), strict=True):
                if measured:
                    axis.plot(
                        [rush["fans"]],
                        [measured[key]],
                        marker=marker,
                        markersize=10,
                        linestyle="none",
                        color=color,
                        label=name,
                    )
    for axis, title in zip(axes, ("p50", "p99"), strict=True):
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel("concurrent connections")
        axis.set_title(f"Latency {title} (ms)")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    figure.suptitle(f"Encore, {results['data']['events']:,} events: latency against concurrency")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


README = RESULTS.parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def readme_update(summary: str) -> None:
    """The summary between the README's markers, under its `make bench` heading
    (three levels down), with the chart linked from the README's folder."""
    text = README.read_text()
    if START not in text or END not in text:
        return
    body = summary.replace("](latency.png)", "](bench/results/latency.png)")
    body = "\n".join(("###" + line if line.startswith("#") else line) for line in body.splitlines())
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{body.strip()}\n{END}{after}")


def merge(key: str, figures: dict, *, seconds: float) -> str:
    """A step run alone (`bench/run.py --only`): its figures replace that key of
    latest.json, and the summary and the README are written again when
    latest.json holds a whole run; returns the step's summary."""
    latest = RESULTS / "latest.json"
    results = json.loads(latest.read_text()) if latest.exists() else {}
    results[key] = {**figures, "run_alone_seconds": seconds}
    if "pages" in results:
        results["goals"] = goals(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    latest.write_text(json.dumps(results, indent=2) + "\n")
    if "pages" in results:
        summary = RESULTS / "summary.md"
        summary.write_text(summary_markdown(results))
        readme_update(summary.read_text())
    lines = {"waitlist": waitlist_lines, "rush": rush_lines, "money": money_lines}[key](
        {key: figures}
    )
    return "\n".join(lines)


def write(results: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    results["chart"] = "latency.png"
    results["goals"] = goals(results)
    chart(results, RESULTS / "latency.png")
    text = json.dumps(results, indent=2) + "\n"
    (RESULTS / "latest.json").write_text(text)
    (RESULTS / f"bench-{results['when'][:10]}.json").write_text(text)
    summary = RESULTS / "summary.md"
    summary.write_text(summary_markdown(results))
    readme_update(summary.read_text())
    return summary
