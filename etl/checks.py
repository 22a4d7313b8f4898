"""Data checks beside the models: they run at the end of every ETL run, before the swap, and in tests.

Each check is a query counting offending rows; a check passes when it counts none. Generic checks
(not null, unique, accepted values, relationships) are declared as data; the row accounting and the
personal-data scan are written out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from concurrent.futures import Executor

import duckdb

from etl.text import luhn_ok

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
        "sentiment_source",
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
# Every stored figure the app or the public side serves is checked against participation, with its
# definition written out again here (not read from the mart's SQL), so a wrong mart, a stale one, or
# one an incremental run updated only in part, fails the run before it is swapped in.
# mart_daily's figures, each as what one participation adds to it (0 or 1, or its rating).
_DAILY_FIGURES = {
    "participations": "1",
    "answerable": "not is_poll_answer",
    "answered": "not is_poll_answer and responded_at is not null",
    "rated": "rating is not null",
    "rating_sum": "rating",
    "removed": "moderation_status in ('hidden', 'deleted')",
    **{f"screened_{n}": f"list_contains(screening_controls, {n})" for n in range(1, 10)},
    **{
        f"agreed_{n}": f"list_contains(screening_controls, {n}) "
        f"and moderation_status in ('hidden', 'deleted') and moderation_control = {n}"
        for n in range(1, 10)
    },
}
# mart_daily's grain: a day and a value of every filter dimension (its other columns are counts).
DAILY_KEYS = (
    "channel",
    "tool",
    "region",
    "theme",
    "moderation_status",
    "language",
    "sentiment",
    "beneficiary_type",
    "moderation_control",
)
_KEYS = ", ".join(DAILY_KEYS)


def _weighted(value: str) -> str:
    return f"coalesce(cast(({value}) as hugeint), 0)"


# Compared at its grain through a fingerprint: for each figure, the sum over participations of a
# hash of their mart row's key times what each adds, against the sum over mart rows of the same
# hash times the stored figure. Any figure moved, lost or put under another key changes a sum
# (a miss needs a 64-bit hash collision to cancel it exactly). One pass over each table, no join:
# 0.09 s + 0.05 s on 300,000 records, where comparing the grouped rows took 1.4 s.
def mart_check(days: str | None = None) -> tuple[str, str]:
    """The mart_daily check; ``days``: a query of the days to compare (an append's rewritten days),
    else every day."""
    live_rows, mart_rows = "participation", "mart_daily"
    if days is not None:
        live_rows = f"(select * from participation where cast(submitted_at as date) in ({days}))"
        mart_rows = f"(select * from mart_daily where day in ({days}))"
    return (
        "mart_daily agrees with participation (every figure, at its grain: day and every filter's value)",
        f"""with live as (
        select {", ".join(f"sum(h * {_weighted(sql)}) as {name}" for name, sql in _DAILY_FIGURES.items())}
        from (select cast(hash(cast(submitted_at as date), {_KEYS}) as hugeint) as h, * from {live_rows})
    ),
    mart as (
        select {", ".join(f"sum(h * {_weighted(name)}) as {name}" for name in _DAILY_FIGURES)}
        from (select cast(hash(day, {_KEYS}) as hugeint) as h, * from {mart_rows})
    )
    select count(*) from live cross join mart
    where ({", ".join(f"live.{n}" for n in _DAILY_FIGURES)}) is distinct from
        ({", ".join(f"mart.{n}" for n in _DAILY_FIGURES)})""",
    )


def new_days_check(new_days: str) -> tuple[str, str]:
    """An append's check that every participation it loaded is on one of ``new_days`` (a query of
    days, which ``relink`` adds to the days mart_daily is rewritten for): the personal-data scan
    reads the new rows from the first of them (etl/delta.py NEW_ROWS)."""
    return (
        "every participation an append loaded is on a day of its new records, which it rewrote",
        # the first condition is implied by the second; it is there for the zone maps
        f"""select count(*) from (select record_id from loaded_now where kind = 'participation') as l
    anti join (
        select participation_id from participation
        where submitted_at >= (select min(day) from ({new_days})) and cast(submitted_at as date) in ({new_days})
    ) as p on p.participation_id = l.record_id""",
    )


SUMMARY_CHECK = (
    "mart_summary agrees with participation (participations, senders, channels, first and last)",
    """select count(*) from mart_summary as m
    cross join (
        select count(*) as participations, count(distinct sender_hash) as senders,
            count(distinct channel) as channels, min(submitted_at) as first_at, max(submitted_at) as last_at
        from participation
    ) as live
    where (m.participations, m.senders, m.channels, m.first_at, m.last_at)
        is distinct from (live.participations, live.senders, live.channels, live.first_at, live.last_at)""",
)
# mart_window: each period, as a whole and by each channel and status, every figure, and no row
# missing or extra (a full join on period, dimension and code).
WINDOW_CHECK = (
    "mart_window agrees with participation (senders, medians, decisions and the 90th percentile, "
    "for each period as a whole, by channel and by status)",
    """with periods as (select distinct period, period_start, period_end from mart_window),
    decided as (
        select periods.period, p.channel, p.moderation_status, p.sender_hash, p.hours_to_answer,
            case when p.moderated_at is not null and p.moderation_status <> 'pending'
                then p.hours_to_decision end as decision_hours
        from periods
        inner join participation as p
            on p.submitted_at >= periods.period_start and p.submitted_at < periods.period_end + 1
    ),
    live as (
        select period, 'all' as dimension, null as code, count(distinct sender_hash) as senders,
            median(hours_to_answer) as median_answer, count(decision_hours) as decisions,
            median(decision_hours) as median_decision, quantile_cont(decision_hours, 0.9) as p90_decision
        from decided group by period
        union all
        select period, 'channel', channel, count(distinct sender_hash), median(hours_to_answer),
            count(decision_hours), median(decision_hours), quantile_cont(decision_hours, 0.9)
        from decided group by period, channel
        union all
        select period, 'status', moderation_status, count(distinct sender_hash), median(hours_to_answer),
            count(decision_hours), median(decision_hours), quantile_cont(decision_hours, 0.9)
        from decided group by period, moderation_status
    ),
    close as (
        select
            m.period is null or live.period is null as missing,
            m.senders is distinct from live.senders
                or m.decisions is distinct from live.decisions
                or coalesce(abs(m.median_hours_to_answer - live.median_answer) > 1e-6,
                    (m.median_hours_to_answer is null) <> (live.median_answer is null))
                or coalesce(abs(m.median_hours_to_decision - live.median_decision) > 1e-6,
                    (m.median_hours_to_decision is null) <> (live.median_decision is null))
                or coalesce(abs(m.p90_hours_to_decision - live.p90_decision) > 1e-6,
                    (m.p90_hours_to_decision is null) <> (live.p90_decision is null)) as differs
        from mart_window as m
        full join live
            on live.period = m.period and live.dimension = m.dimension and live.code is not distinct from m.code
    )
    select count(*) from close where missing or differs""",
)
CAMPAIGN_CHECK = (
    "campaign agrees with participation (members, senders, first and last)",
    """with live as (
        select campaign_id, count(*) as participations, count(distinct sender_hash) as senders,
            min(submitted_at) as first_at, max(submitted_at) as last_at
        from participation where campaign_id is not null group by campaign_id
    )
    select count(*) from campaign as c full join live on live.campaign_id = c.campaign_id
    where (c.participations, c.senders, c.first_at, c.last_at)
        is distinct from (live.participations, live.senders, live.first_at, live.last_at)""",
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
    ("participation", "sentiment_confidence not between 0 and 1"),
    ("participation", "(sentiment_confidence is null) <> (sentiment_source = 'none')"),
    ("participation", "sentiment_source not in ('rules', 'rating', 'model', 'none', 'analyst')"),
    ("participation", "responded_at < submitted_at"),
    ("participation", "moderation_status in ('published', 'pending') and moderation_control is not null"),
    ("participation", "(duplicate_of is null) <> (duplicate_kind is null)"),
    ("participation", "len(screening_controls) > coalesce(len(screening_rules), 0)"),
)
# Every stored text column that can carry what someone wrote or named: none may still match a
# personal-data pattern. Action titles and owners, poll questions and answers, and the file names
# the run bookkeeping keeps are scanned as well as the participations' text.
TEXT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("participation", "text_redacted"),
    ("participation", "text_normalized"),
    ("improvement_action", "title_ar"),
    ("improvement_action", "title_en"),
    ("improvement_action", "description_ar"),
    ("improvement_action", "description_en"),
    ("improvement_action", "owner_unit"),
    ("campaign", "sample_text_redacted"),
    ("poll_answer", "question"),
    ("poll_answer", "answer"),
    ("quarantine", "file"),
    ("quarantine", "reason"),
    ("duplicate_row", "file"),
    ("etl_run", "input_dir"),
    ("etl_file", "file"),
    ("record_file", "file"),
)
# The other text columns hold ids and hashes the ETL derives, codes checked against the reference
# tables (accepted_values above), lists of codes, or run bookkeeping the ETL writes itself. The
# ref_* tables come from data/reference/ in the repository, not from any export.
NOT_TEXT: tuple[tuple[str, str], ...] = tuple(
    (table, column)
    for table, columns in {
        "participation": (
            "participation_id",
            "source_record_id",  # the export's own record id or ticket number (a public number)
            "sender_hash",
            "duplicate_of",
            "campaign_id",
            "text_cluster",
            "source",
            "channel",
            "tool",
            "region",
            "language",
            "beneficiary_type",
            "theme",
            "theme_source",
            "sentiment",
            "sentiment_source",
            "moderation_status",
            "duplicate_kind",
            "pii_types",
            "screening_rules",
            "attachment_types",
        ),
        "improvement_action": ("action_id", "source", "status", "theme", "linked_themes"),
        "action_participation": ("action_id", "participation_id", "link_type"),
        "poll_answer": ("participation_id", "poll_id"),
        "campaign": ("campaign_id", "text_cluster", "channel", "theme"),
        "duplicate_row": ("duplicate_of", "source"),
        "quarantine": ("source",),
        "etl_run": ("status", "stage_seconds", "history_note", "load_fingerprint", "rules_fingerprint", "kind"),
        "etl_run_source": ("source", "mapping", "name_ar", "name_en"),
        "etl_file": ("source", "sha256"),
        "record_file": ("kind", "record_id", "source"),  # record_id: a participation_id or the action's id
        "mart_daily": DAILY_KEYS[:-1],  # moderation_control is a number
        "mart_window": ("period", "dimension", "code"),
    }.items()
    for column in columns
)


def queries(
    run_id: int, days: str | None = None, new: dict[str, str] | None = None, new_days: str | None = None
) -> list[tuple[str, str, list]]:
    """(name, SQL counting offending rows, parameters) for every check; ``days``: as ``mart_check``;
    ``new``: an append's rows per table (etl/delta.py NEW_ROWS), whose keys alone are checked for
    uniqueness against the table (the rows it did not write were unique when the last run checked
    them, and an append changes no key: at 10M records the whole table's check took 3.7 s);
    ``new_days``: as ``new_days_check``."""
    out: list[tuple[str, str, list]] = []
    for table, cols in NOT_NULL.items():
        for c in cols:
            out.append((f"not_null {table}.{c}", f"select count(*) from {table} where {c} is null", []))
    for table, cols in UNIQUE.items():
        for c in cols:
            rows = table
            if new and table in new:
                rows = f"(select {c} from {table} where {c} in (select {c} from {table} where {new[table]}))"
            out.append(
                (
                    f"unique {table}.{c}",
                    f"select count(*) from (select {c} from {rows} group by {c} having count(*) > 1)",
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
    for check in (SUMMARY_CHECK, mart_check(days), WINDOW_CHECK, CAMPAIGN_CHECK):
        out.append((*check, []))
    if new_days is not None:
        out.append((*new_days_check(new_days), []))
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
            # the loads since the last build (that build's and every append's), less the rows that
            # appends' re-exported files replaced
            "row accounting: participation rows = loaded participations",
            "select abs((select count(*) from participation) + (select count(*) from improvement_action) "
            "- (select sum(rows_loaded - coalesce(rows_replaced, 0)) from etl_run where status = 'success' "
            "and run_id >= (select max(run_id) from etl_run where status = 'success' "
            "and coalesce(kind, 'build') = 'build') and run_id <= ?))",
            [run_id],
        )
    )
    return out


# -- the personal-data scan: independent of the redactor -------------------------------------------
# Not the redactor's patterns, which cannot see what they miss: Google's libphonenumber, the Luhn
# check over runs of digit groups, a generic scan of long digit runs, and a plain e-mail shape. Only
# the texts SQL finds seven digits, an @ or a bracketed "at" in are read in Python.
_CANDIDATE = "(\\p{N}\\P{N}*){7}|@|(?i)[(\\[{<] *(at|dot) *[)\\]}>]"  # seven digits of any script
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff]")
_GROUPS = re.compile(r"\d+(?:[ .\-/]{1,2}\d+)*")
_EMAIL_SHAPE = re.compile(r"[^\s@()\[\]]+@[^\s@]+\.[A-Za-z]{2,}|\w+ *(?i:[(\[{<] *at *[)\]}>]) *\w+")
PUBLIC_NUMBER_TYPES = frozenset({3, 4, 5, 9})  # libphonenumber's toll-free, premium-rate, shared-cost, UAN
SCAN_LIMIT = 1000  # offending texts a column is read for before the scan stops and says "at least"
SCAN_CHUNK = 250  # candidate texts a worker reads at a time


def personal_data_in(text: str) -> set[str]:
    """What personal data ``text`` still holds, as an independent detector reads it."""
    from phonenumbers import Leniency, PhoneNumberMatcher, number_type

    # compatibility forms (fullwidth, circled, mathematical) as plain digits, then every script's as ASCII
    plain = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    plain = re.sub(r"\d", lambda m: str(unicodedata.decimal(m.group(), 0)), plain)
    found = set()
    if _EMAIL_SHAPE.search(plain):
        found.add("email")
    for m in PhoneNumberMatcher(plain, "SA", leniency=Leniency.VALID):
        if number_type(m.number) not in PUBLIC_NUMBER_TYPES:
            found.add("phone")
    for run in _GROUPS.finditer(plain):
        groups = re.findall(r"\d+", run.group())
        for i in range(len(groups)):
            digits = ""
            for g in groups[i:]:
                digits += g
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and luhn_ok(digits):
                    found.add("card")
                if len(digits) == 10 and digits[0] in "12" and luhn_ok(digits):
                    found.add("national_id")
        for g in groups:
            if len(g) >= 10 and not (len(g) == 10 and g.startswith("800")):
                found.add("long_number")  # ten digits in a row, save a toll-free number
    return found


def personal_data_failures(
    con: duckdb.DuckDBPyConnection, scope: dict[str, str] | None = None, pool: Executor | None = None
) -> list[str]:
    """For each stored text column, the rows whose text still holds personal data, as failures.

    ``scope``: per table, a condition (SQL, no parameters) on the rows to scan, where only those can
    hold text no earlier run scanned (an append's new rows: etl/delta.py); a table not named is
    scanned whole. ``pool``: the ETL's worker processes, which read the candidate texts (Python:
    one core each) when given."""
    failures = []
    scoped: dict[str, str] = {}  # table -> a temp table of its rows in scope, its text columns only
    try:
        for table, col in TEXT_COLUMNS:
            rows = table
            if scope and table in scope:
                if table not in scoped:  # one pass over the table for all its columns (0.5 s each at 10M)
                    scoped[table] = f"_scanned_{table}"
                    columns = ", ".join(c for t, c in TEXT_COLUMNS if t == table)
                    con.execute(
                        f"create or replace temp table {scoped[table]} as "
                        f"select {columns} from {table} where {scope[table]}"
                    )
                rows = scoped[table]
            failure = _personal_data_in_column(con, rows, table, col, pool)
            if failure:
                failures.append(failure)
    finally:
        for name in scoped.values():
            con.execute(f"drop table if exists {name}")
    return failures


def _personal_data_in_column(
    con: duckdb.DuckDBPyConnection, rows: str, table: str, col: str, pool: Executor | None
) -> str | None:
    """``personal_data_failures``' failure for ``table.col``, read from ``rows`` (the table, or its
    rows in scope), or None."""

    def read(texts: list[str]) -> Iterable[set[str]]:
        if pool is None or len(texts) < SCAN_CHUNK * 2:
            return map(personal_data_in, texts)
        return pool.map(personal_data_in, texts, chunksize=SCAN_CHUNK)

    found: set[str] = set()
    n = texts = 0
    cur = con.execute(
        f"select v, n from (select {col} as v, count(*) as n from {rows} group by {col}) "
        "where v is not null and regexp_matches(v, ?)",
        [_CANDIDATE],
    )
    while texts < SCAN_LIMIT and (batch := cur.fetchmany(10_000)):
        for (_, k), kinds in zip(batch, read([v for v, _ in batch])):
            if kinds:
                found |= kinds
                n += k
                texts += 1
    if not n:
        return None
    more = " at least" if texts >= SCAN_LIMIT else ""
    return f"no personal data (independent scan: {', '.join(sorted(found))}) in {table}.{col}:{more} {n} rows"


def count(run_id: int) -> int:
    """How many checks run_all runs."""
    return len(queries(run_id)) + len(TEXT_COLUMNS)


def run_all(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    scope: dict[str, str] | None = None,
    days: str | None = None,
    pool: Executor | None = None,
    new_days: str | None = None,
) -> list[str]:
    """The failing checks, each as 'name: N rows'; empty when all pass. ``scope``: the rows the
    personal-data scan reads (``personal_data_failures``, on ``pool`` when given) and whose keys
    are checked for uniqueness; ``days``: the days mart_daily is compared on (``mart_check``);
    ``new_days``: the days of an append's records (``new_days_check``); every other check reads
    every row."""
    failures = []
    for name, sql, params in queries(run_id, days, scope, new_days):
        n = con.execute(sql, params).fetchone()[0]
        if n:
            failures.append(f"{name}: {n} rows")
    return failures + personal_data_failures(con, scope, pool)
