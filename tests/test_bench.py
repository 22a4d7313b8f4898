"""The benchmark's report: what the canonical-file figure says about noisy runs."""

from __future__ import annotations

from bench.__main__ import canonical_line


def _run(seconds: float, peak: int = 100) -> dict:
    return {
        "seconds": seconds,
        "peak_mb": peak,
        "peak_tree_mb": peak + 50,
        "stages": {"extract": seconds / 2, "text": seconds / 2, "total": seconds},
    }


def test_the_ratio_is_median_against_median_with_its_spread() -> None:
    # one slow ETL run and one fast baseline load: neither moves the median ratio
    line = canonical_line(1000, False, 7, [_run(10), _run(12), _run(30, peak=900)], [2.0, 1.0, 2.0, 3.0])
    assert "| 12.0 s (10.0-30.0 s, 3 runs) |" in line
    assert "6.0x DuckDB read_csv load (median 2.00 s of 4 loads, 1.00-3.00 s; spread 3.3x-30.0x)" in line
    assert "900 MB (950 MB with the rule workers)" in line  # the peak of any run
    assert "extract 167/s, text 167/s |" in line  # per stage: 1000 rows over the median 6 s
    assert "1,000 canonical (7 distinct texts)" in line


def test_varied_input_is_named() -> None:
    assert "1,000 canonical, varied texts (900 distinct texts)" in canonical_line(1000, True, 900, [_run(5)], [1.0])


def test_a_scaled_warehouse_holds_k_copies_and_passes_the_etls_checks(built, tmp_path) -> None:
    """bench.pages.scaled (the 10M warehouse of the page and lake benchmarks) keeps every relation
    and count the checks know, so that an ETL append can run on it."""
    import shutil

    import duckdb

    from bench.pages import scaled
    from etl.cli import main

    src = tmp_path / "w.duckdb"
    shutil.copyfile(built[0], src)
    big = scaled(src, 3)
    con = duckdb.connect(str(big), read_only=True)
    small = duckdb.connect(str(src), read_only=True)
    for sql in ("select count(*) from participation", "select count(duplicate_of) from participation"):
        assert con.execute(sql).fetchone()[0] == 3 * small.execute(sql).fetchone()[0] > 0
    for table in ("participation", "record_file", "etl_run", "etl_run_source"):  # the same columns
        columns = f"select column_name, data_type from information_schema.columns where table_name = '{table}'"
        assert con.execute(columns).fetchall() == small.execute(columns).fetchall()
    con.close()
    small.close()
    assert main(["check", "--warehouse", str(big)]) == 0


def test_the_scaling_benchmark_makes_large_inputs_in_parts_and_reports_the_slopes(tmp_path, monkeypatch) -> None:
    """`python -m bench --scaling`: past PART_ROWS the input is made in parts, each with ids of its
    own (no record is a repeat of another part's), the ETL loads every row, and the table gives the
    time per million against the smallest size and the peak's growth."""
    import duckdb

    import bench.__main__ as bench

    monkeypatch.setattr(bench, "PART_ROWS", 400)
    monkeypatch.setattr(bench, "RESULTS", tmp_path / "results.md")
    made = tmp_path / "made"
    path = bench._canonical_input(1000, True, made)
    ids = duckdb.execute("select count(*), count(distinct source_record_id) from read_csv(?)", [path]).fetchall()
    assert ids == [(1000, 1000)] and len(list((made / "in" / "canonical").glob("*.csv"))) == 3
    bench.scaling([300, 900])
    text = (tmp_path / "results.md").read_text()
    assert "| 300 |" in text and "| 900 |" in text and "| 1.00x |" in text
    assert "Peak RSS grows by" in text
