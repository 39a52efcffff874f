"""Every SQL statement of the contribute job. Stateless; dataclasses out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_ts
from bot.clock import now_ts
from bot.clock import to_ts
from bot.db import Database
from bot.db import record
from bot.db import Row
from cogs.contribute._logic import ClaimState
from cogs.contribute._logic import DEFAULT_CLAIM_DAYS
from cogs.contribute._logic import IssueInfo
from cogs.contribute._logic import IssueRef
from cogs.contribute._logic import Kind
from cogs.contribute._logic import PrState
from cogs.contribute._logic import TaskKind
from cogs.contribute._logic import TaskState
from cogs.contribute._logic import Thanks


# -- settings --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ContributeSettings:
    guild_id: int
    claim_days: int = DEFAULT_CLAIM_DAYS
    extra_owners: tuple[str, ...] = ()


async def settings(db: Database, guild_id: int) -> ContributeSettings:
    row = await db.fetchone(
        "SELECT * FROM contribute_settings WHERE guild_id = ?", (guild_id,)
    )
    if row is None:
        return ContributeSettings(guild_id)
    return ContributeSettings(
        guild_id, row["claim_days"], tuple(row["extra_owners"].split())
    )


async def ensure_settings(db: Database, guild_id: int, *, github: bool) -> None:
    """Mark the server as using the job (its defaults apply), and GitHub's data."""
    await db.execute(
        "INSERT INTO contribute_settings (guild_id, uses_github, updated_at) "
        "VALUES (?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
        "uses_github = max(uses_github, excluded.uses_github)",
        (guild_id, int(github), now_ts()),
    )


async def used_guilds(db: Database) -> dict[int, bool]:
    """The servers that use the job, and whether they use what GitHub says."""
    rows = await db.fetchall("SELECT guild_id, uses_github FROM contribute_settings")
    return {row["guild_id"]: bool(row["uses_github"]) for row in rows}


async def save_settings(
    db: Database, guild_id: int, *, claim_days: int, extra_owners: Iterable[str]
) -> None:
    await db.execute(
        "INSERT INTO contribute_settings (guild_id, claim_days, extra_owners, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
        "claim_days = excluded.claim_days, extra_owners = excluded.extra_owners, "
        "updated_at = excluded.updated_at",
        (guild_id, claim_days, " ".join(sorted(set(extra_owners))), now_ts()),
    )


async def label_overrides(
    db: Database, guild_id: int | None = None
) -> dict[tuple[int, str], dict[Kind, tuple[str, ...]]]:
    """Organisers' labels by (guild, repo), for one guild or all of them."""
    if guild_id is None:
        rows = await db.fetchall("SELECT * FROM contribute_labels")
    else:
        rows = await db.fetchall(
            "SELECT * FROM contribute_labels WHERE guild_id = ?", (guild_id,)
        )
    out: dict[tuple[int, str], dict[Kind, tuple[str, ...]]] = {}
    for row in rows:
        out.setdefault((row["guild_id"], row["repo"]), {})[Kind(row["kind"])] = tuple(
            json.loads(row["labels"])
        )
    return out


async def set_labels(
    db: Database, guild_id: int, repo: str, kind: Kind, labels: Sequence[str]
) -> None:
    await db.execute(
        "INSERT INTO contribute_labels (guild_id, repo, kind, labels) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (guild_id, repo, kind) DO UPDATE SET labels = excluded.labels",
        (guild_id, repo, kind.value, json.dumps(list(labels))),
    )


# -- newcomer issues ------------------------------------------------------------------------
def _issue(row: Row) -> IssueInfo:
    return IssueInfo(
        ref=IssueRef(row["repo"], row["number"]),
        title=row["title"],
        state=row["state"],
        labels=tuple(json.loads(row["labels"])),
        author=row["author"],
        url=row["url"],
        updated_at=from_ts(row["updated_at"]),
        assignees=tuple(json.loads(row["assignees"])),
    )


async def store_issues(db: Database, issues: Sequence[IssueInfo], seen_at: int) -> None:
    """Keep what the search listed; what it no longer lists is gone (closed, relabelled)."""
    async with db.transaction() as tx:
        for issue in issues:
            await tx.execute(
                "INSERT INTO contribute_issues (repo, number, title, state, labels, "
                "author, assignees, url, updated_at, seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo, number) DO "
                "UPDATE SET title = excluded.title, state = excluded.state, "
                "labels = excluded.labels, author = excluded.author, "
                "assignees = excluded.assignees, url = excluded.url, "
                "updated_at = excluded.updated_at, seen_at = excluded.seen_at",
                (
                    issue.ref.repo,
                    issue.ref.number,
                    issue.title,
                    issue.state,
                    json.dumps([label.lower() for label in issue.labels]),
                    issue.author,
                    json.dumps(list(issue.assignees)),
                    issue.url,
                    to_ts(issue.updated_at),
                    seen_at,
                ),
            )
        await tx.execute("DELETE FROM contribute_issues WHERE seen_at < ?", (seen_at,))


async def newcomer_issues(db: Database, repo: str | None = None) -> list[IssueInfo]:
    """Every listed issue (of one repository), newest activity first."""
    if repo is None:
        rows = await db.fetchall(
            "SELECT * FROM contribute_issues ORDER BY updated_at DESC, repo, number"
        )
    else:
        rows = await db.fetchall(
            "SELECT * FROM contribute_issues WHERE repo = ? "
            "ORDER BY updated_at DESC, number",
            (repo,),
        )
    return [_issue(row) for row in rows]


async def cached_issue(db: Database, ref: IssueRef) -> IssueInfo | None:
    row = await db.fetchone(
        "SELECT * FROM contribute_issues WHERE repo = ? AND number = ?",
        (ref.repo, ref.number),
    )
    return _issue(row) if row else None


async def forget_issue(db: Database, ref: IssueRef) -> None:
    await db.execute(
        "DELETE FROM contribute_issues WHERE repo = ? AND number = ?",
        (ref.repo, ref.number),
    )


# -- claims -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    guild_id: int
    repo: str
    number: int
    title: str
    user_id: int
    sprint_id: int | None
    state: ClaimState
    pr_repo: str | None
    pr_number: int | None
    pr_url: str | None
    pr_state: PrState | None
    claimed_at: datetime
    expires_at: datetime
    ended_at: datetime | None

    @property
    def ref(self) -> IssueRef:
        return IssueRef(self.repo, self.number)

    @classmethod
    def from_row(cls, row: Row) -> Claim:
        return record(
            cls,
            row,
            state=ClaimState(row["state"]),
            pr_state=PrState(row["pr_state"]) if row["pr_state"] else None,
            claimed_at=from_ts(row["claimed_at"]),
            expires_at=from_ts(row["expires_at"]),
            ended_at=from_ts(row["ended_at"]) if row["ended_at"] else None,
        )


async def active_claim(db: Database, guild_id: int, ref: IssueRef) -> Claim | None:
    row = await db.fetchone(
        "SELECT * FROM contribute_claims WHERE guild_id = ? AND repo = ? "
        "AND number = ? AND state = 'active'",
        (guild_id, ref.repo, ref.number),
    )
    return Claim.from_row(row) if row else None


async def claim(db: Database, claim_id: int) -> Claim | None:
    row = await db.fetchone("SELECT * FROM contribute_claims WHERE id = ?", (claim_id,))
    return Claim.from_row(row) if row else None


async def count_active(db: Database, guild_id: int, user_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM contribute_claims WHERE guild_id = ? AND user_id = ? "
            "AND state = 'active'",
            (guild_id, user_id),
        )
    )


async def claims_of(db: Database, guild_id: int, user_id: int) -> list[Claim]:
    rows = await db.fetchall(
        "SELECT * FROM contribute_claims WHERE guild_id = ? AND user_id = ? "
        "AND state = 'active' ORDER BY claimed_at",
        (guild_id, user_id),
    )
    return [Claim.from_row(row) for row in rows]


async def active_claims(db: Database, guild_id: int | None = None) -> list[Claim]:
    if guild_id is None:
        rows = await db.fetchall(
            "SELECT * FROM contribute_claims WHERE state = 'active' ORDER BY id"
        )
    else:
        rows = await db.fetchall(
            "SELECT * FROM contribute_claims WHERE guild_id = ? AND state = 'active' "
            "ORDER BY id",
            (guild_id,),
        )
    return [Claim.from_row(row) for row in rows]


async def add_claim(
    db: Database,
    guild_id: int,
    ref: IssueRef,
    title: str,
    user_id: int,
    *,
    expires_at: datetime,
    sprint_id: int | None = None,
) -> Claim | None:
    """Record a claim; None when someone else's claim won the race."""
    async with db.transaction() as tx:
        taken = await tx.fetchone(
            "SELECT id FROM contribute_claims WHERE guild_id = ? AND repo = ? "
            "AND number = ? AND state = 'active'",
            (guild_id, ref.repo, ref.number),
        )
        if taken is not None:
            return None
        result = await tx.execute(
            "INSERT INTO contribute_claims (guild_id, repo, number, title, user_id, "
            "sprint_id, claimed_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                ref.repo,
                ref.number,
                title,
                user_id,
                sprint_id,
                now_ts(),
                to_ts(expires_at),
            ),
        )
        row = await tx.fetchone(
            "SELECT * FROM contribute_claims WHERE id = ?", (result.lastrowid,)
        )
    assert row is not None
    return Claim.from_row(row)


async def end_claim(db: Database, claim_id: int, state: ClaimState) -> bool:
    """End an active claim; False when it had already ended."""
    result = await db.execute(
        "UPDATE contribute_claims SET state = ?, ended_at = ? "
        "WHERE id = ? AND state = 'active'",
        (state.value, now_ts(), claim_id),
    )
    return result.rowcount > 0


async def link_pull(
    db: Database,
    claim_id: int,
    pr: IssueRef,
    url: str,
    state: PrState,
    *,
    expires_at: datetime | None = None,
) -> None:
    await db.execute(
        "UPDATE contribute_claims SET pr_repo = ?, pr_number = ?, pr_url = ?, "
        "pr_state = ?, expires_at = coalesce(?, expires_at) WHERE id = ?",
        (
            pr.repo,
            pr.number,
            url,
            state.value,
            to_ts(expires_at) if expires_at else None,
            claim_id,
        ),
    )


async def active_holders(
    db: Database, guild_id: int, refs: Iterable[IssueRef]
) -> dict[IssueRef, Claim]:
    wanted = set(refs)
    if not wanted:
        return {}
    return {
        claim.ref: claim
        for claim in await active_claims(db, guild_id)
        if claim.ref in wanted
    }


async def merged_claims_before(
    db: Database, guild_id: int, user_id: int, before: int
) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM contribute_claims WHERE guild_id = ? AND user_id = ? "
            "AND state = 'merged' AND ended_at < ?",
            (guild_id, user_id, before),
        )
    )


# -- quiet members --------------------------------------------------------------------------------
async def is_quiet(db: Database, guild_id: int, user_id: int) -> bool:
    return (
        await db.fetchone(
            "SELECT 1 FROM contribute_quiet WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        is not None
    )


async def set_quiet(db: Database, guild_id: int, user_id: int, quiet: bool) -> None:
    if quiet:
        await db.execute(
            "INSERT OR IGNORE INTO contribute_quiet (guild_id, user_id, created_at) "
            "VALUES (?, ?, ?)",
            (guild_id, user_id, now_ts()),
        )
    else:
        await db.execute(
            "DELETE FROM contribute_quiet WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )


async def quiet_members(db: Database, guild_id: int) -> set[int]:
    rows = await db.fetchall(
        "SELECT user_id FROM contribute_quiet WHERE guild_id = ?", (guild_id,)
    )
    return {row["user_id"] for row in rows}


# -- tasks -------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Task:
    id: int
    guild_id: int
    title: str
    description: str
    kind: TaskKind
    mentor_id: int
    posted_by: int
    state: TaskState
    claimant_id: int | None
    link: str | None
    feedback: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> Task:
        return record(
            cls,
            row,
            kind=TaskKind(row["kind"]),
            state=TaskState(row["state"]),
            created_at=from_ts(row["created_at"]),
            completed_at=from_ts(row["completed_at"]) if row["completed_at"] else None,
        )


async def add_task(
    db: Database,
    guild_id: int,
    title: str,
    description: str,
    kind: TaskKind,
    mentor_id: int,
    posted_by: int,
) -> Task:
    now = now_ts()
    async with db.transaction() as tx:
        result = await tx.execute(
            "INSERT INTO contribute_tasks (guild_id, title, description, kind, "
            "mentor_id, posted_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, title, description, kind.value, mentor_id, posted_by, now, now),
        )
        row = await tx.fetchone(
            "SELECT * FROM contribute_tasks WHERE id = ?", (result.lastrowid,)
        )
    assert row is not None
    return Task.from_row(row)


async def task(db: Database, guild_id: int, task_id: int) -> Task | None:
    row = await db.fetchone(
        "SELECT * FROM contribute_tasks WHERE guild_id = ? AND id = ?",
        (guild_id, task_id),
    )
    return Task.from_row(row) if row else None


async def tasks(
    db: Database,
    guild_id: int,
    states: Sequence[TaskState],
    *,
    limit: int = 25,
    offset: int = 0,
) -> list[Task]:
    marks = ", ".join("?" for _ in states)
    rows = await db.fetchall(
        f"SELECT * FROM contribute_tasks WHERE guild_id = ? AND state IN ({marks}) "
        "ORDER BY id DESC LIMIT ? OFFSET ?",
        (guild_id, *(s.value for s in states), limit, offset),
    )
    return [Task.from_row(row) for row in rows]


async def count_tasks(db: Database, guild_id: int, states: Sequence[TaskState]) -> int:
    marks = ", ".join("?" for _ in states)
    return int(
        await db.fetchval(
            f"SELECT count(*) FROM contribute_tasks WHERE guild_id = ? "
            f"AND state IN ({marks})",
            (guild_id, *(s.value for s in states)),
        )
    )


async def tasks_touching(db: Database, guild_id: int, user_id: int) -> list[Task]:
    """Tasks a member holds, or mentors and that wait for them."""
    rows = await db.fetchall(
        "SELECT * FROM contribute_tasks WHERE guild_id = ? AND ("
        "(claimant_id = ? AND state IN ('claimed', 'submitted')) OR "
        "(mentor_id = ? AND state IN ('open', 'claimed', 'submitted'))) "
        "ORDER BY id DESC LIMIT 25",
        (guild_id, user_id, user_id),
    )
    return [Task.from_row(row) for row in rows]


async def move_task(
    db: Database,
    task_id: int,
    *,
    expect: Sequence[TaskState],
    to: TaskState,
    claimant_id: int | None = None,
    link: str | None = None,
    feedback: str | None = None,
    keep_claimant: bool = True,
) -> Task | None:
    """Move a task from one of ``expect`` to ``to``; None when it had moved on."""
    marks = ", ".join("?" for _ in expect)
    now = now_ts()
    async with db.transaction() as tx:
        row = await tx.fetchone(
            f"UPDATE contribute_tasks SET state = ?, updated_at = ?, "
            f"claimant_id = CASE WHEN ? THEN coalesce(?, claimant_id) ELSE NULL END, "
            f"link = coalesce(?, link), feedback = coalesce(?, feedback), "
            f"completed_at = CASE WHEN ? = 'done' THEN ? ELSE completed_at END "
            f"WHERE id = ? AND state IN ({marks}) RETURNING *",
            (
                to.value,
                now,
                keep_claimant,
                claimant_id,
                link,
                feedback,
                to.value,
                now,
                task_id,
                *(s.value for s in expect),
            ),
        )
    return Task.from_row(row) if row else None


async def open_tasks_matching(
    db: Database, guild_id: int, text: str, states: Sequence[TaskState]
) -> list[Task]:
    marks = ", ".join("?" for _ in states)
    rows = await db.fetchall(
        f"SELECT * FROM contribute_tasks WHERE guild_id = ? AND state IN ({marks}) "
        "AND (title LIKE ? ESCAPE '\\' OR CAST(id AS TEXT) = ?) ORDER BY id DESC LIMIT 25",
        (
            guild_id,
            *(s.value for s in states),
            "%"
            + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%",
            text.strip().lstrip("#"),
        ),
    )
    return [Task.from_row(row) for row in rows]


# -- releases ---------------------------------------------------------------------------------------
async def known_versions(db: Database, repo: str) -> set[str]:
    rows = await db.fetchall(
        "SELECT version FROM contribute_releases WHERE repo = ?", (repo,)
    )
    return {row["version"] for row in rows}


async def record_release(
    db: Database, repo: str, version: str, url: str, source: str
) -> bool:
    """Record a release; False when it was already known."""
    result = await db.execute(
        "INSERT OR IGNORE INTO contribute_releases (repo, version, url, source, seen_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (repo, version, url, source, now_ts()),
    )
    return result.rowcount > 0


# -- recognition ------------------------------------------------------------------------------------
async def contributions(
    db: Database, guild_id: int, start: int, end: int
) -> list[Thanks]:
    """Merged pull requests (and first ones), completed tasks and sprint mentoring."""
    out: list[Thanks] = []
    rows = await db.fetchall(
        "SELECT user_id, count(*) AS merged, sum(CASE WHEN NOT EXISTS ("
        "  SELECT 1 FROM contribute_claims AS earlier WHERE earlier.guild_id = c.guild_id "
        "  AND earlier.user_id = c.user_id AND earlier.state = 'merged' "
        "  AND earlier.ended_at < c.ended_at) THEN 1 ELSE 0 END) AS first "
        "FROM contribute_claims AS c WHERE guild_id = ? AND state = 'merged' "
        "AND ended_at >= ? AND ended_at < ? GROUP BY user_id",
        (guild_id, start, end),
    )
    out += [
        Thanks(row["user_id"], merged=row["merged"], first_prs=row["first"])
        for row in rows
    ]
    rows = await db.fetchall(
        "SELECT claimant_id AS user_id, count(*) AS n FROM contribute_tasks "
        "WHERE guild_id = ? AND state = 'done' AND completed_at >= ? "
        "AND completed_at < ? GROUP BY claimant_id",
        (guild_id, start, end),
    )
    out += [Thanks(row["user_id"], tasks=row["n"]) for row in rows]
    rows = await db.fetchall(
        "SELECT mentor_id AS user_id, count(*) AS n FROM contribute_tasks "
        "WHERE guild_id = ? AND state = 'done' AND completed_at >= ? "
        "AND completed_at < ? GROUP BY mentor_id",
        (guild_id, start, end),
    )
    out += [Thanks(row["user_id"], mentored=row["n"]) for row in rows]
    rows = await db.fetchall(
        "SELECT answered_by AS user_id, count(*) AS n FROM contribute_help_calls "
        "WHERE guild_id = ? AND answered_by IS NOT NULL AND answered_at >= ? "
        "AND answered_at < ? GROUP BY answered_by",
        (guild_id, start, end),
    )
    out += [Thanks(row["user_id"], mentored=row["n"]) for row in rows]
    return out


# -- sprint boards -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Board:
    event_id: int
    guild_id: int
    channel_id: int | None
    message_id: int | None
    wrapped_at: int | None


@dataclass(frozen=True, slots=True)
class BoardIssue:
    event_id: int
    repo: str
    number: int
    title: str
    picked_by: int

    @property
    def ref(self) -> IssueRef:
        return IssueRef(self.repo, self.number)


async def board(db: Database, event_id: int) -> Board | None:
    row = await db.fetchone(
        "SELECT * FROM contribute_boards WHERE event_id = ?", (event_id,)
    )
    return record(Board, row) if row else None


async def ensure_board(db: Database, guild_id: int, event_id: int) -> Board:
    await db.execute(
        "INSERT OR IGNORE INTO contribute_boards (event_id, guild_id) VALUES (?, ?)",
        (event_id, guild_id),
    )
    found = await board(db, event_id)
    assert found is not None
    return found


async def set_board_message(
    db: Database, event_id: int, channel_id: int, message_id: int
) -> None:
    await db.execute(
        "UPDATE contribute_boards SET channel_id = ?, message_id = ? WHERE event_id = ?",
        (channel_id, message_id, event_id),
    )


async def mark_wrapped(db: Database, event_id: int) -> bool:
    result = await db.execute(
        "UPDATE contribute_boards SET wrapped_at = ? "
        "WHERE event_id = ? AND wrapped_at IS NULL",
        (now_ts(), event_id),
    )
    return result.rowcount > 0


async def board_issues(db: Database, event_id: int) -> list[BoardIssue]:
    rows = await db.fetchall(
        "SELECT event_id, repo, number, title, picked_by FROM contribute_board_issues "
        "WHERE event_id = ? ORDER BY picked_at, repo, number",
        (event_id,),
    )
    return [record(BoardIssue, row) for row in rows]


async def pick(
    db: Database, event_id: int, ref: IssueRef, title: str, picked_by: int
) -> bool:
    result = await db.execute(
        "INSERT OR IGNORE INTO contribute_board_issues (event_id, repo, number, title, "
        "picked_by, picked_at) VALUES (?, ?, ?, ?, ?, ?)",
        (event_id, ref.repo, ref.number, title, picked_by, now_ts()),
    )
    return result.rowcount > 0


async def unpick(db: Database, event_id: int, ref: IssueRef) -> bool:
    result = await db.execute(
        "DELETE FROM contribute_board_issues WHERE event_id = ? AND repo = ? "
        "AND number = ?",
        (event_id, ref.repo, ref.number),
    )
    return result.rowcount > 0


async def sprint_claims(db: Database, event_id: int) -> list[Claim]:
    """Every claim made on the board, latest state, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM contribute_claims WHERE sprint_id = ? ORDER BY id", (event_id,)
    )
    return [Claim.from_row(row) for row in rows]


async def add_help_call(
    db: Database, event_id: int, guild_id: int, user_id: int, note: str
) -> int:
    result = await db.execute(
        "INSERT INTO contribute_help_calls (event_id, guild_id, user_id, note, asked_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (event_id, guild_id, user_id, note, now_ts()),
    )
    assert result.lastrowid is not None
    return result.lastrowid


async def answer_help_call(db: Database, call_id: int, mentor_id: int) -> int | None:
    """Record who answered; the caller's id, or None when it was already answered."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE contribute_help_calls SET answered_by = ?, answered_at = ? "
            "WHERE id = ? AND answered_by IS NULL RETURNING user_id",
            (mentor_id, now_ts(), call_id),
        )
    return row["user_id"] if row else None


# -- volunteers --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    guild_id: int
    user_id: int
    kind: str
    extension: str
    note: str
    state: str


async def add_offer(
    db: Database, guild_id: int, user_id: int, kind: str, extension: str, note: str
) -> Offer | None:
    """Record an offer; None when the same one is already waiting."""
    async with db.transaction() as tx:
        waiting = await tx.fetchone(
            "SELECT id FROM contribute_volunteers WHERE guild_id = ? AND user_id = ? "
            "AND kind = ? AND extension = ? AND state = 'pending'",
            (guild_id, user_id, kind, extension),
        )
        if waiting is not None:
            return None
        row = await tx.fetchone(
            "INSERT INTO contribute_volunteers (guild_id, user_id, kind, extension, "
            "note, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
            (guild_id, user_id, kind, extension, note, now_ts()),
        )
    assert row is not None
    return record(Offer, row)


async def decide_offer(
    db: Database, offer_id: int, organiser_id: int, approve: bool
) -> Offer | None:
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "UPDATE contribute_volunteers SET state = ?, decided_by = ?, decided_at = ? "
            "WHERE id = ? AND state = 'pending' RETURNING *",
            ("approved" if approve else "declined", organiser_id, now_ts(), offer_id),
        )
    return record(Offer, row) if row else None


async def offer(db: Database, offer_id: int) -> Offer | None:
    row = await db.fetchone(
        "SELECT * FROM contribute_volunteers WHERE id = ?", (offer_id,)
    )
    return record(Offer, row) if row else None
