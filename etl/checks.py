"""Data checks beside the models: they run at the end of every ETL run, before the swap, and in tests.

Each check is a query counting offending rows; a check passes when it counts none. Generic checks
(not null, unique, accepted values, relationships) are declared as data; the row accounting and the
personal-data scan are written out.
"""

from __future__ import annotations

import duckdb

from etl.text import REDACTIONS

NOT_NULL: dict[str, tuple[str, ...]] = {
    "participation": (
        "participation_id",
        "source",
        "source_record_id",
        "channel",
        "tool",
        "submitted_at",
        "language",
        "beneficiary_type",
        "theme",
        "theme_source",
        "sentiment",
        "moderation_status",
        "screening_controls",
        "screening_rules",
        "pii_types",
    ),
    "campaign": ("campaign_id", "participations", "senders", "first_at"),
    "improvement_action": ("action_id", "title_ar", "status", "proposed_at"),
    "quarantine": ("run_id", "source", "file", "line", "reason"),
    "etl_run": ("run_id", "status", "rows_read"),
}
UNIQUE: dict[str, tuple[str, ...]] = {
    "participation": ("participation_id",),
    "improvement_action": ("action_id",),
    "etl_run": ("run_id",),
    "campaign": ("campaign_id",),
}
# mart_summary must agree with the table it summarises
MART_CHECK = (
    "mart_daily adds up to participation",
    "select abs((select sum(participations) from mart_daily) - (select count(*) from participation))",
)
SUMMARY_CHECK = (
    "mart_summary agrees with participation",
    "select count(*) from mart_summary where participations <> (select count(*) from participation)",
)
WINDOW_CHECK = (
    "mart_window agrees with participation",
    """select count(*) from mart_window as m
    cross join lateral (
        select count(distinct sender_hash) as senders, median(hours_to_answer) as median_hours
        from participation where submitted_at >= m.period_start and submitted_at < m.period_end + 1
    ) as live
    where m.dimension = 'all'
        and (m.senders <> live.senders or m.median_hours_to_answer is distinct from live.median_hours)""",
)
# table.column -> reference table (its code column); nulls are allowed where the column may be empty
ACCEPTED: dict[tuple[str, str], str] = {
    ("participation", "channel"): "ref_channel",
    ("participation", "tool"): "ref_tool",
    ("participation", "region"): "ref_region",
    ("participation", "beneficiary_type"): "ref_beneficiary_type",
    ("participation", "language"): "ref_language",
    ("participation", "theme"): "ref_theme",
    ("participation", "sentiment"): "ref_sentiment",
    ("participation", "moderation_status"): "ref_moderation_status",
    ("participation", "moderation_control"): "ref_control",
    ("improvement_action", "status"): "ref_action_status",
    ("improvement_action", "theme"): "ref_theme",
}
RELATIONSHIPS: tuple[tuple[str, str, str, str], ...] = (
    ("participation", "duplicate_of", "participation", "participation_id"),
    ("poll_answer", "participation_id", "participation", "participation_id"),
    ("action_participation", "participation_id", "participation", "participation_id"),
    ("action_participation", "action_id", "improvement_action", "action_id"),
    ("participation", "campaign_id", "campaign", "campaign_id"),
)
RANGES: tuple[tuple[str, str], ...] = (
    ("participation", "rating is not null and rating not between 1 and 5"),
    ("participation", "theme_confidence not between 0 and 1"),
    ("participation", "responded_at < submitted_at"),
    ("participation", "moderation_status in ('published', 'pending') and moderation_control is not null"),
    ("participation", "(duplicate_of is null) <> (duplicate_kind is null)"),
    ("participation", "len(screening_controls) > coalesce(len(screening_rules), 0)"),
)
# Text columns that reach people: none may still match a personal-data pattern.
TEXT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("participation", "text_redacted"),
    ("participation", "text_normalized"),
    ("improvement_action", "description_ar"),
    ("improvement_action", "description_en"),
    ("campaign", "sample_text_redacted"),
)


def queries(run_id: int) -> list[tuple[str, str, list]]:
    """(name, SQL counting offending rows, parameters) for every check."""
    out: list[tuple[str, str, list]] = []
    for table, cols in NOT_NULL.items():
        for c in cols:
            out.append((f"not_null {table}.{c}", f"select count(*) from {table} where {c} is null", []))
    for table, cols in UNIQUE.items():
        for c in cols:
            out.append(
                (
                    f"unique {table}.{c}",
                    f"select count(*) from (select {c} from {table} group by {c} having count(*) > 1)",
                    [],
                )
            )
    for (table, col), ref in ACCEPTED.items():
        out.append(
            (
                f"accepted_values {table}.{col}",
                f"select count(*) from {table} where {col} is not null and {col} not in (select code from {ref})",
                [],
            )
        )
    for table, col, to_table, to_col in RELATIONSHIPS:
        # An anti join, not NOT IN: it skips the hash table when nothing refers (an empty
        # poll_answer cost 0.1 s against a million participations), and a null on the referenced
        # side cannot make every row pass.
        out.append(
            (
                f"relationship {table}.{col} -> {to_table}.{to_col}",
                f"select count(*) from {table} as f anti join {to_table} as t on t.{to_col} = f.{col} "
                f"where f.{col} is not null",
                [],
            )
        )
    for table, cond in RANGES:
        out.append((f"range {table}: {cond}", f"select count(*) from {table} where {cond}", []))
    out.append((*SUMMARY_CHECK, []))
    out.append((*MART_CHECK, []))
    out.append((*WINDOW_CHECK, []))
    out.append(
        (
            "row accounting: read = loaded + quarantined + duplicates",
            "select count(*) from etl_run_source where run_id = ? "
            "and rows_read <> rows_loaded + rows_quarantined + rows_duplicate",
            [run_id],
        )
    )
    out.append(
        (
            "row accounting: participation rows = loaded participations",
            "select abs((select count(*) from participation) + (select count(*) from improvement_action) "
            "- (select sum(rows_loaded) from etl_run_source where run_id = ?))",
            [run_id],
        )
    )
    # One scan per column for every pattern at once; the failure message names the first kind found.
    patterns = [(kind, pattern) for kind, pattern, _ in REDACTIONS if kind != "url_token"]
    # (url_token is left out: the redacted form keeps the parameter name, so its pattern matches the marker)
    combined = "|".join(f"(?:{p})" for _, p in patterns)
    for table, col in TEXT_COLUMNS:
        # Each distinct text is matched once, and counts for the rows that hold it: short replies,
        # campaigns and repeats make the texts far fewer than the rows (857 of the 2,000 Sehhaty
        # reviews; 51,321 in the canonical million: 0.03 s instead of 0.12 s per column). Where
        # nearly every text differs, grouping costs more than it saves (0.28 s against 0.18 s on
        # the varied million). The pattern sits in the aggregate's filter, where the optimiser
        # cannot push it below the grouping, back onto every row.
        out.append(
            (
                f"no personal data ({', '.join(k for k, _ in patterns)}) in {table}.{col}",
                f"select coalesce(sum(n) filter (where regexp_matches(v, ?)), 0) "
                f"from (select {col} as v, count(*) as n from {table} group by {col})",
                [combined],
            )
        )
    return out


def run_all(con: duckdb.DuckDBPyConnection, run_id: int) -> list[str]:
    """The failing checks, each as 'name: N rows'; empty when all pass."""
    failures = []
    for name, sql, params in queries(run_id):
        n = con.execute(sql, params).fetchone()[0]
        if n:
            failures.append(f"{name}: {n} rows")
    return failures
