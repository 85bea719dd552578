"""bench/bench_scale.py's fairness and arithmetic (the benchmark itself runs by hand: it needs
wrk and minutes of two servers under load)."""

from bench.bench_scale import LIST_SCENARIOS, _combined, _order, goals, scenarios, summarize


def _wrk(rps: float, p50: float = 10.0) -> dict:
    return {"rps": rps, "p50": p50, "p95": p50, "p99": p50, "errors": 0, "non_2xx": 0}


def _round(ratios: dict[str, float]) -> dict:
    return {
        name: {"django": _wrk(100 * ratio), "baseline": _wrk(100), "ratio": ratio, "order": []}
        for name, ratio in ratios.items()
    }


def test_each_scenario_has_each_server_first_in_turn():
    paths = scenarios(1.0)
    for index in range(len(paths)):
        firsts = [_order(round_no, index)[0] for round_no in range(3)]
        assert firsts[0] != firsts[1] != firsts[2]
    assert [_order(0, index)[0] for index in range(2)] == ["django", "baseline"]


def test_a_side_run_in_two_slices_counts_all_its_requests_over_all_its_time():
    slices = [
        {"requests": 1000, "seconds": 8.0, "rps": 125.0, "errors": 1, "non_2xx": 0,
         "p50": 10.0, "p95": 20.0, "p99": 30.0, "max": 50.0},
        {"requests": 800, "seconds": 8.0, "rps": 100.0, "errors": 0, "non_2xx": 2,
         "p50": 14.0, "p95": 24.0, "p99": 40.0, "max": 90.0},
    ]  # fmt: skip

    combined = _combined(slices)

    assert combined["rps"] == 112.5  # 1800 requests in 16 s, not the mean of two rates
    assert (combined["errors"], combined["non_2xx"]) == (1, 2)
    assert (combined["p50"], combined["max"]) == (12.0, 90.0)
    assert combined["slices"] == slices


def test_last_page_follows_the_data_set():
    assert "page=5000&" in scenarios(1.0)["customers_last_page"]
    assert "page=50&" in scenarios(0.01)["customers_last_page"]


def test_summary_is_the_median_ratio_with_its_spread_and_every_round_judged():
    paths = scenarios(1.0)
    rounds = [
        _round({name: 0.6 for name in paths} | {"customers_search": ratio})
        for ratio in (0.7, 0.48, 0.55)
    ]
    summary = summarize(rounds, paths)
    search = summary["customers_search"]
    assert (search["ratio_median"], search["ratio_min"], search["ratio_max"]) == (0.55, 0.48, 0.7)
    # One round under 0.5 misses the goal even though the median meets it.
    assert search["every_round_meets_goal"] is False
    assert summary["customers_page_1"]["every_round_meets_goal"] is True
    assert "every_round_meets_goal" not in summary["financial_report"]


def _out(scale: float, transactions: int) -> dict:
    paths = scenarios(scale)
    rounds = [_round({name: 0.4 for name in paths}) for _ in range(3)]
    return {
        "scale": scale,
        "summary": summarize(rounds, paths),
        "batch_1000": {"django": {"median_s": 0.4}},
        "explain_search": {"uses_trigram_index": False},
        "report_ratio": {
            "transactions": transactions,
            "periods": {"one month": {"speedup": 12.0}},
        },
    }


def test_goals_are_judged_at_full_scale_only():
    full = {goal: met for goal, _, met in goals(_out(1.0, 1_000_000))}
    small = {goal: met for goal, _, met in goals(_out(0.01, 10_000))}
    list_goals = [g for g in full if g.split(":")[0] in LIST_SCENARIOS]
    assert len(list_goals) == len(LIST_SCENARIOS)
    assert all(full[g] is False for g in list_goals)
    assert all(small[g] is None for g in list_goals)
    report = next(g for g in full if g.startswith("financial report one month"))
    assert full[report] is False and small[report] is None
