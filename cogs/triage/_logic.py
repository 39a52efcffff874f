"""Question triage without I/O: tag rules, search queries, thank-yous, links, stats."""

from __future__ import annotations

import re
import statistics
import tomllib
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import UTC
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.extensions import ESCALATION_REPO
from bot.extensions import Extension
from bot.extensions import Kind as ExtensionKind
from bot.paths import DATA_DIR
from bot.refusals import Refused

RULES_PATH = DATA_DIR / "triage" / "tags.toml"

#: Discord's limits on forum tags.
MAX_FORUM_TAGS = 20
MAX_POST_TAGS = 5
TAG_NAME_LIMIT = 20

#: What is kept of a question for storage and search.
MAX_TITLE = 100
MAX_BODY = 1500
MAX_SOLUTION = 2000

#: How many similar solved questions the checklist suggests.
MAX_SUGGESTIONS = 3
#: Questions the digest lists by name in each section (the rest are counted).
DIGEST_LISTED = 10
#: How many words of a new question are searched for.
MAX_QUERY_TERMS = 24
#: Most documents a similar-question search may rank (see :func:`selective_terms`).
#: It bounds the work of counting and ranking at any forum size: at 900,000 solved
#: questions a search with 1,500 takes 10 to 15 ms of SQLite's time, with 500 about
#: 5 (bench, realistic questions); the rarest words, which decide the ranking, fit.
SEARCH_POSTINGS = 500
#: Words (the first ones, from the title) a question of only common words must share.
COMMON_WORDS_MATCHED = 3
#: A solved question is suggested when it contains at least this share of the
#: new question's significant words (and at least MIN_SHARED_TERMS of them).
MIN_COVERAGE = 0.4
MIN_SHARED_TERMS = 2

#: Questions per page of /triage queue.
QUEUE_PAGE_SIZE = 8

DAY = 86_400
UNANSWERED_AFTER = DAY
NUDGE_AFTER = 7 * DAY
ARCHIVE_SOLVED_AFTER = DAY


# -- tag rules ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TagRule:
    name: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    repo: str | None = None
    #: An extension's rule (a library's never gives way to another rule).
    extension: bool = False
    #: The keywords that name the extension itself; the others only hint at it.
    names: frozenset[str] = frozenset()

    def matches(self, text: str, extra_keywords: Iterable[str] = ()) -> bool:
        return self.match(text, extra_keywords) is not None

    def match(self, text: str, extra_keywords: Iterable[str] = ()) -> bool | None:
        """None: no match; True: the text names it; False: only hints at it."""
        lowered = text.lower()
        hinted = False
        for keyword in (*self.keywords, *extra_keywords):
            if keyword_pattern(keyword).search(lowered):
                if keyword in self.names:
                    return True
                hinted = True
        if hinted or any(pattern.search(text) for pattern in self.patterns):
            return False
        return None


@dataclass(frozen=True, slots=True)
class TagRules:
    rules: tuple[TagRule, ...]
    solved: str = "Solved"
    closed: str = "Closed"

    def names(self) -> list[str]:
        return [rule.name for rule in self.rules]

    def find(self, name: str) -> TagRule | None:
        wanted = name.strip().lower()
        return next((r for r in self.rules if r.name.lower() == wanted), None)

    def repos(self) -> list[str]:
        return [rule.repo for rule in self.rules if rule.repo]


def keyword_pattern(keyword: str) -> re.Pattern[str]:
    """A whole-word, case-insensitive pattern; hyphens and underscores join words."""
    return _keyword_pattern(keyword.strip().lower())


_compiled: dict[str, re.Pattern[str]] = {}


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    pattern = _compiled.get(keyword)
    if pattern is None:
        pattern = re.compile(rf"(?<![\w-]){re.escape(keyword)}(?![\w-])")
        _compiled[keyword] = pattern
    return pattern


ALLOWED_REPO = ESCALATION_REPO


def load_rules(path: Path = RULES_PATH) -> TagRules:
    """Read the shipped rules; a bad file fails loudly at start-up, not per message."""
    with path.open("rb") as fp:
        data = tomllib.load(fp)
    rules = []
    for entry in data.get("tag", []):
        name = str(entry["name"])
        if not 1 <= len(name) <= TAG_NAME_LIMIT:
            raise ValueError(f"{path}: tag name {name!r} must be 1 to 20 characters")
        repo = entry.get("repo")
        if repo is not None and not ALLOWED_REPO.match(repo):
            raise ValueError(f"{path}: {name}: repo must be pallets/* or pallets-eco/*")
        rules.append(
            TagRule(
                name=name,
                keywords=tuple(str(k).lower() for k in entry.get("keywords", [])),
                patterns=tuple(
                    re.compile(p, re.IGNORECASE) for p in entry.get("patterns", [])
                ),
                repo=repo,
            )
        )
    state = data.get("state", {})
    return TagRules(
        tuple(rules),
        solved=str(state.get("solved", "Solved")),
        closed=str(state.get("closed", "Closed")),
    )


def match_tags(
    rules: TagRules, text: str, extra: Sequence[tuple[str, str]] = ()
) -> list[str]:
    """Library tag names for ``text``, in rule order; ``extra`` is (tag, keyword).

    A more specific extension wins over one the text only hints at: a question that
    names Flask-Alembic is not also tagged Flask-Migrate for saying "alembic", and
    one that names Flask-SQLAlchemy-Lite not Flask-SQLAlchemy for "db.session".
    """
    extra_by_tag: dict[str, list[str]] = {}
    for tag, keyword in extra:
        extra_by_tag.setdefault(tag.lower(), []).append(keyword)
    found = [
        (rule, named)
        for rule in rules.rules
        if (named := rule.match(text, extra_by_tag.get(rule.name.lower(), ())))
        is not None
    ]
    named_words = [
        word.replace("_", "-")
        for rule, named in found
        if named and rule.extension
        for word in rule.names
    ]
    return [
        rule.name
        for rule, named in found
        if named or not rule.extension or not _shadowed(rule, named_words)
    ]


def _shadowed(rule: TagRule, named_words: Sequence[str]) -> bool:
    """Whether an extension that was only hinted at is part of a named one's name."""
    hints = [k.replace("_", "-") for k in rule.keywords if k not in rule.names]
    return any(hint in word and hint != word for hint in hints for word in named_words)


def rules_from(entries: Iterable[Extension], state: TagRules | None = None) -> TagRules:
    """The tag rules of a server's extension registry (state tags from ``state``)."""
    rules = []
    for entry in entries:
        if not entry.tag:
            continue
        patterns = []
        for pattern in entry.patterns:
            try:
                patterns.append(re.compile(pattern, re.IGNORECASE))
            except re.error:
                continue  # a bad pattern costs its rule a pattern, not the forum
        rules.append(
            TagRule(
                name=entry.tag[:TAG_NAME_LIMIT],
                keywords=tuple(k.lower() for k in entry.keywords),
                patterns=tuple(patterns),
                repo=entry.escalation_repo,
                extension=entry.kind is ExtensionKind.EXTENSION,
                names=frozenset(entry.names & set(entry.keywords)),
            )
        )
    return TagRules(
        tuple(rules),
        solved=state.solved if state else "Solved",
        closed=state.closed if state else "Closed",
    )


def valid_keyword(keyword: str) -> bool:
    """A helper's keyword: 2 to 40 characters of words, spaces, dots, dashes."""
    return bool(re.fullmatch(r"[\w][\w .+#-]{0,38}[\w+#]", keyword.strip()))


@dataclass(frozen=True, slots=True)
class TagPlan:
    """What to do with a post's tags."""

    #: Forum tag names to create first (they do not exist yet).
    create: list[str]
    #: The post's tag names after the change, people's tags first.
    applied: list[str]


def plan_tags(
    *,
    available: Sequence[str],
    applied: Sequence[str],
    bot_applied: Sequence[str],
    add: Sequence[str],
    remove: Sequence[str] = (),
    max_forum: int = MAX_FORUM_TAGS,
    max_post: int = MAX_POST_TAGS,
) -> TagPlan:
    """Decide a post's tags: people's tags stay; the bot's own give way when full.

    ``remove`` only ever removes tags the bot applied. When a wanted tag does not fit,
    a library tag the bot applied earlier makes room (the first in ``add`` matter
    most); a tag a person set is never touched.
    """
    existing = {name.lower() for name in available}
    ours = {name.lower() for name in bot_applied}
    dropped = {name.lower() for name in remove} & ours
    result = [name for name in applied if name.lower() not in dropped]
    create: list[str] = []
    room = max_forum - len(available)
    for name in add:
        if any(name.lower() == current.lower() for current in result):
            continue
        if name.lower() not in existing:
            if room <= 0:
                continue
            create.append(name)
            room -= 1
            existing.add(name.lower())
        if len(result) >= max_post:
            wanted_lower = {n.lower() for n in add}
            victim = next(
                (
                    current
                    for current in reversed(result)
                    if current.lower() in ours and current.lower() not in wanted_lower
                ),
                None,
            )
            if victim is None:
                if name in create:
                    create.remove(name)
                    room += 1
                continue
            result.remove(victim)
        result.append(name)
    return TagPlan(create=create, applied=result)


# -- search -------------------------------------------------------------------------
_PART = re.compile(r"[^\W_]+")

STOPWORDS = frozenset(
    """
    a about after again all also am an and any are as at be because been before being
    but by can cannot could did do does doing don dont down during each even every few
    for from get gets getting got had has have having he her here hers him his how i if
    im in into is isnt it its itself ive just like me more most my need no nor not now
    of off on once only or other our out over own please same she should so some still
    such than that the their them then there these they this those through to too try
    trying under until up use used using very want was we were what when where which
    while who why will with without work working works would you your yours hi hello
    hey thanks thank anyone help question problem issue error get way make
    """.split()
)


def _words(text: str) -> Iterator[str]:
    """Every significant word of ``text``, lowercased, in order, repeats included."""
    # Dotted or dashed names (``db.session``) split into their parts, as FTS5's
    # tokenizer splits them: the parts are exactly the runs of letters and digits.
    for part in _PART.findall(text.lower()):
        if len(part) >= 2 and part not in STOPWORDS and not part.isdigit():
            yield part


def search_terms(text: str, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """Significant words of ``text``, lowercased, deduplicated, in order.

    Dotted or dashed names (``flask-sqlalchemy``, ``db.session``) are split into their
    parts, as FTS5's tokenizer splits them.
    """
    # A dict keeps the order and finds a repeat at once (a list made long posts
    # quadratic: milliseconds for one candidate of a few thousand characters).
    seen: dict[str, None] = {}
    for word in _words(text):
        if word not in seen:
            seen[word] = None
            if len(seen) >= limit:
                break
    return list(seen)


def word_set(text: str) -> set[str]:
    """Every significant word of ``text`` (as :func:`search_terms` finds them)."""
    return set(_words(text))


def fts_query(terms: Sequence[str]) -> str | None:
    """An FTS5 MATCH expression: each term quoted (so no syntax), joined with OR.

    Quoting makes every term a plain string to FTS5: ``NEAR``, ``*``, ``:``, ``^``,
    parentheses and column filters in a title are just text. Embedded quotes are
    doubled, as FTS5 requires, and control characters are dropped.
    """
    quoted = [phrase for phrase in map(fts_phrase, terms) if phrase is not None]
    return " OR ".join(quoted) if quoted else None


def fts_all(terms: Sequence[str]) -> str | None:
    """An FTS5 expression matching documents that hold every one of ``terms``."""
    quoted = [phrase for phrase in map(fts_phrase, terms) if phrase is not None]
    return " AND ".join(quoted) if quoted else None


def fts_phrase(term: str) -> str | None:
    """One term as a quoted FTS5 string (None when nothing printable is left)."""
    # FTS5 ends a string at a NUL byte, so control characters never reach it.
    term = "".join(ch for ch in term if ch >= " ").strip()
    return '"' + term.replace('"', '""') + '"' if term else None


def selective_terms(
    terms: Sequence[str], documents: Mapping[str, int], budget: int = SEARCH_POSTINGS
) -> list[str]:
    """The terms worth searching for: the rarest, up to ``budget`` matching documents.

    BM25 weighs a word by its rarity, and FTS5 reads every document of every word in
    the query to rank them, so a word found in a large share of the solved questions
    costs the most and ranks the least. Taking the rarest words first until their
    documents add up to ``budget`` bounds the work at any forum size while keeping
    the words that decide the ranking; every word still counts in :func:`is_close`.
    On a small forum nothing is left out. ``documents`` maps a term to how many solved
    questions contain it (a count of ``budget`` or more means "too many").
    """
    chosen: set[str] = set()
    total = 0
    # A stable sort: among equally rare words, the earlier one first.
    for term in sorted(terms, key=lambda term: documents.get(term, 0)):
        count = documents.get(term, 0)
        if count >= budget or total + count > budget:
            break
        chosen.add(term)
        total += count
    return [term for term in terms if term in chosen]


def coverage(terms: Sequence[str], candidate_text: str) -> tuple[float, int]:
    """Share and count of ``terms`` that appear in ``candidate_text``."""
    if not terms:
        return 0.0, 0
    # Every part of the text, unfiltered: the terms are significant words already,
    # so a term is among them exactly when it is among the significant ones, and
    # skipping the filter keeps a long candidate's words in C (a tenth of the time).
    present = set(_PART.findall(candidate_text.lower()))
    shared = sum(1 for term in terms if term in present)
    return shared / len(terms), shared


def is_close(terms: Sequence[str], candidate_text: str) -> bool:
    """Whether a solved question is close enough to suggest.

    BM25 orders the candidates, but its scores are not comparable between forums: FTS5
    clamps the weight of any word found in more than half the documents to almost
    zero, so on a small forum every score is near zero. The cut-off is therefore the
    share of the new question's significant words the candidate contains.
    """
    share, shared = coverage(terms, candidate_text)
    return shared >= min(MIN_SHARED_TERMS, len(terms)) and share >= MIN_COVERAGE


# -- thank-yous -------------------------------------------------------------------------
_THANKS = re.compile(
    r"(?<!\w)("
    r"thanks?|thank\s+you|thx|ty|tysm|cheers|"
    r"(that|this|it)\s+(worked|works|did\s+it|fixed\s+it|helped)|solved\s+it|"
    r"danke|vielen\s+dank|"
    r"merci|"
    r"gracias|"
    r"obrigad[oa]|valeu|"
    r"grazie|"
    r"dank\s*je(wel)?|bedankt|"
    r"dzi[eę]kuj[eę]|"
    r"спасибо|"
    r"ありがとう|"
    r"谢谢|多谢|"
    r"감사합니다|고마워"
    r")(?!\w)",
    re.IGNORECASE,
)
_NOT_YET = re.compile(
    r"(thanks?|thank\s+you|danke|merci|gracias|obrigad[oa])\s+(in\s+advance|"
    r"im\s+voraus|d'avance|de\s+antemano|desde\s+ya|antecipadamente)",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"\b(didn'?t|did\s+not|doesn'?t|does\s+not|not)\s+work", re.I)


def is_thanks(text: str) -> bool:
    """Whether the asker is saying thank you (not "thanks in advance", not "didn't work")."""
    if _NOT_YET.search(text) or _NEGATED.search(text):
        return False
    return bool(_THANKS.search(text))


# -- refusals --------------------------------------------------------------------------
class Problem(StrEnum):
    """Why triage refuses a command or a click (worded in ``_render``)."""

    NOT_A_QUESTION = "not-a-question"
    DELETED = "deleted"
    NOT_OPEN = "not-open"
    ALREADY_OPEN = "already-open"
    ALREADY_CLOSED = "already-closed"
    BAD_HELPER = "bad-helper"
    BAD_ANSWER = "bad-answer"
    ANSWER_NOT_FOUND = "answer-not-found"
    NO_REPO = "no-repo"
    REPO_NOT_ALLOWED = "repo-not-allowed"
    #: ``tags``: the known tag names, comma-separated.
    UNKNOWN_TAG = "unknown-tag"
    BAD_KEYWORD = "bad-keyword"
    RULE_EXISTS = "rule-exists"
    NO_SUCH_RULE = "no-such-rule"
    #: Permission refusals (raised as :class:`bot.errors.NotAllowed`).
    ONLY_ASKER_SOLVES = "only-asker-solves"
    ONLY_ASKER_CONFIRMS = "only-asker-confirms"
    ONLY_ASKER_ANSWERS = "only-asker-answers"
    ONLY_ASKER_OR_HELPER_REOPENS = "only-asker-or-helper-reopens"
    #: ``time``: what was typed for the digest's time of day.
    BAD_DIGEST_TIME = "bad-digest-time"
    #: ``days``: what was typed for the digest's days of the week.
    BAD_DIGEST_DAYS = "bad-digest-days"


# -- closing ---------------------------------------------------------------------------
class CloseReason(StrEnum):
    DUPLICATE = "duplicate"
    MOVED_TO_GITHUB = "moved-to-github"
    OFF_TOPIC = "off-topic"
    NOT_REPRODUCIBLE = "not-reproducible"
    WONTFIX = "wontfix"
    OTHER = "other"


_DISCORD_LINK = re.compile(
    r"^https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(\d+)/(\d+)(?:/(\d+))?/?$"
)
_CHANNEL_MENTION = re.compile(r"^<#(\d+)>$")
_GITHUB_LINK = re.compile(
    r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/"
    r"(?:issues|pull|discussions)/\d+(?:#[\w-]+)?/?$"
)
_ANY_LINK = re.compile(r"^https?://\S+$")


class LinkProblem(StrEnum):
    MISSING = "missing"
    NOT_DISCORD = "not-discord"
    NOT_GITHUB = "not-github"
    NOT_A_LINK = "not-a-link"
    SAME_POST = "same-post"


def check_close_link(
    reason: CloseReason, link: str | None, *, guild_id: int, thread_id: int
) -> tuple[str | None, LinkProblem | None]:
    """Normalise the link a close needs; return ``(link, problem)``."""
    link = (link or "").strip() or None
    if reason is CloseReason.DUPLICATE:
        if link is None:
            return None, LinkProblem.MISSING
        mention = _CHANNEL_MENTION.match(link)
        if mention:
            target = int(mention.group(1))
            link = f"https://discord.com/channels/{guild_id}/{target}"
        else:
            match = _DISCORD_LINK.match(link)
            if match is None or int(match.group(1)) != guild_id:
                return None, LinkProblem.NOT_DISCORD
            target = int(match.group(2))
        if target == thread_id:
            return None, LinkProblem.SAME_POST
        return link, None
    if reason is CloseReason.MOVED_TO_GITHUB:
        if link is None:
            return None, LinkProblem.MISSING
        if not _GITHUB_LINK.match(link):
            return None, LinkProblem.NOT_GITHUB
        return link, None
    if link is not None and not _ANY_LINK.match(link):
        return None, LinkProblem.NOT_A_LINK
    return link, None


def close_link(
    reason: CloseReason, link: str | None, *, guild_id: int, thread_id: int
) -> str | None:
    """The link a close keeps, normalised; :class:`Refused` with a :class:`LinkProblem`."""
    link, problem = check_close_link(
        reason, link, guild_id=guild_id, thread_id=thread_id
    )
    if problem is not None:
        raise Refused(problem)
    return link


_MESSAGE_REF = re.compile(
    r"^(?:https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/[0-9]+/([0-9]+)/)?"
    r"([0-9]{15,20})/?$"
)
#: Discord ids are snowflakes below 2**63 (and the database stores signed 64 bits).
_SNOWFLAKE_LIMIT = 2**63


def parse_message_ref(text: str, thread_id: int) -> int | None:
    """The message id in a link or bare id, if it points into ``thread_id``.

    Only ASCII digits (``\\d`` would take any script's) and ids Discord can have:
    it answers 400, not 404, for a longer one.
    """
    match = _MESSAGE_REF.match(text.strip())
    if match is None:
        return None
    if match.group(1) is not None and int(match.group(1)) != thread_id:
        return None
    value = int(match.group(2))
    return value if value < _SNOWFLAKE_LIMIT else None


# -- escalating -------------------------------------------------------------------------
GITHUB_URL_LIMIT = 7000


def thread_url(guild_id: int, thread_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{thread_id}"


def quote_block(text: str, limit: int) -> str:
    """``text`` as a Markdown quote, clipped to ``limit`` characters."""
    text = text.strip()
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def new_issue_url(
    repo: str, title: str, body: str, *, limit: int = GITHUB_URL_LIMIT
) -> str:
    """GitHub's "new issue" page for ``repo``, prefilled, every value URL-encoded.

    The body is shortened until the URL fits in ``limit`` characters.
    """
    if not ALLOWED_REPO.match(repo):
        raise ValueError(f"not a pallets repository: {repo}")
    base = f"https://github.com/{repo}/issues/new?"
    url = base + urlencode({"title": title, "body": body}, quote_via=quote)
    while len(url) > limit and body:
        body = body[: len(body) * 3 // 4]
        url = base + urlencode({"title": title, "body": body}, quote_via=quote)
    return url


def guess_repo(rules: TagRules, tags: Sequence[str]) -> str | None:
    """The repository of the first tag that has one, in rule order."""
    wanted = {t.lower() for t in tags}
    for rule in rules.rules:
        if rule.repo and rule.name.lower() in wanted:
            return rule.repo
    return None


# -- statistics -------------------------------------------------------------------------
def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


@dataclass(frozen=True, slots=True)
class DigestItem:
    thread_id: int
    title: str
    created_at: int


@dataclass(frozen=True, slots=True)
class Digest:
    #: The first :data:`DIGEST_LISTED` of each list, and how many there are in all.
    new: list[DigestItem] = field(default_factory=list)
    unanswered: list[DigestItem] = field(default_factory=list)
    #: Solved since the last digest.
    solved: int = 0
    top_helpers: list[tuple[int, int]] = field(default_factory=list)
    new_total: int = 0
    unanswered_total: int = 0
    #: When the last digest was posted (None: this is the first one).
    since: int | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.new_total or self.unanswered_total or self.solved or self.top_helpers
        )


#: An unanswered question is news again once it has waited this many days.
AGE_THRESHOLDS = (1, 3, 7, 14, 30)
#: Every day of the week (0 is Monday, as in :meth:`datetime.date.weekday`).
ALL_DAYS = frozenset(range(7))
#: The digest's days as stored and as the autocomplete offers them.
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_PRESETS = {
    "daily": ALL_DAYS,
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """When a guild's helpers get the digest: a local time, days, a timezone
    (as stored, "" is the server's; the engine fills it in before use)."""

    at: time = time(9, 0)
    days: frozenset[int] = ALL_DAYS
    timezone: str = "UTC"


def next_digest_ts(now: int, schedule: DigestSchedule | None = None) -> int:
    """The next digest time strictly after ``now`` (UTC epoch seconds).

    The time is local to the schedule's timezone, so a 09:00 digest stays at 09:00
    across daylight saving time; a time the clocks skip that day moves forward.
    """
    schedule = schedule or DigestSchedule()
    zone = ZoneInfo(schedule.timezone or "UTC")
    today = datetime.fromtimestamp(now, zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() not in schedule.days:
            continue
        moment = int(datetime.combine(day, schedule.at, tzinfo=zone).timestamp())
        if moment > now:
            return moment
    raise ValueError("a digest schedule needs at least one day")


def next_hour_ts(now: int, hour: int) -> int:
    """The next ``hour``:00 UTC strictly after ``now`` (epoch seconds)."""
    day = now - now % DAY
    moment = day + hour * 3600
    return moment if moment > now else moment + DAY


def parse_digest_time(text: str) -> time:
    """``09:00`` (or ``9.00``, ``9h00``) as a time of day, or a refusal."""
    found = _TIME.match(text)
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        raise Refused(Problem.BAD_DIGEST_TIME, time=text[:20])
    return time(int(found[1]), int(found[2]))


def parse_digest_days(text: str, names: Mapping[str, int]) -> frozenset[int]:
    """Days of the week from what a member typed or chose.

    ``names`` maps every name a day may go by (lower case: ``mon``, ``monday`` and
    the member's own language's names) to its number; ``daily``, ``weekdays`` and
    ``weekends`` are understood too. Refused when a word is none of them.
    """
    days: set[int] = set()
    words = [w for w in re.split(r"[,;/\s]+", text.strip().lower()) if w]
    for word in words:
        if word in DAY_PRESETS:
            days |= DAY_PRESETS[word]
        elif word in names:
            days.add(names[word])
        else:
            raise Refused(Problem.BAD_DIGEST_DAYS, days=text[:60])
    if not days:
        raise Refused(Problem.BAD_DIGEST_DAYS, days=text[:60])
    return frozenset(days)


def days_key(days: Iterable[int]) -> str:
    """Days as the autocomplete's value and the command's canonical input."""
    return ",".join(DAY_KEYS[d] for d in sorted(days))


def crossings(since: int, now: int) -> list[tuple[int, int]]:
    """For each age threshold, the creation times that reach it in (since, now].

    A question created at ``c`` turns ``T`` days old at ``c + T``; it crossed the
    threshold since the last digest when ``since < c + T <= now``.
    """
    return [
        (since - days * DAY, now - days * DAY) for days in AGE_THRESHOLDS if now > since
    ]


@dataclass(frozen=True, slots=True)
class DigestNews:
    """What happened since the last digest; nothing at all means no digest."""

    new: int = 0
    solved: int = 0
    crossed: int = 0
    unanswered: int = 0
    last_unanswered: int | None = None

    @property
    def anything(self) -> bool:
        """A new question, one solved, one answered or closed (fewer unanswered), or
        one crossing an age threshold."""
        return bool(
            self.new
            or self.solved
            or self.crossed
            or (
                self.last_unanswered is not None
                and self.unanswered != self.last_unanswered
            )
        )


def clip_text(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- the public pages -------------------------------------------------------------------------
#: Solved questions per page of the public list, and search results shown.
PUBLIC_PAGE_SIZE = 20
#: Words of a search that are used.
PUBLIC_SEARCH_TERMS = 8
#: The list shows this much of each question.
PUBLIC_EXCERPT = 240

_FENCE = re.compile(r"```(?:[\w+-]{1,20}\n)?(.*?)(?:```|\Z)", re.S)
_USER_MENTION = re.compile(r"<@!?\d{1,20}>")
_ROLE_MENTION = re.compile(r"<@&\d{1,20}>")
_CHANNEL_REF = re.compile(r"<#\d{1,20}>")
_CUSTOM_EMOJI = re.compile(r"<a?:(\w{1,32}):\d{1,20}>")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::[tTdDfFR])?>")
_CURSOR = re.compile(r"^(\d{1,12})-(\d{1,20})$")


@dataclass(frozen=True, slots=True)
class Block:
    """A piece of a post as the page shows it: prose, or a code block."""

    text: str
    code: bool = False


def public_blocks(text: str, *, member: str, role: str, channel: str) -> list[Block]:
    """A post's text for the public pages: code blocks apart, and no Discord ids.

    Mentions become words (``member``, ``role``, ``channel``: who is mentioned is not
    the page's business), custom emoji their ``:name:``, timestamps a UTC time.
    """
    blocks: list[Block] = []
    position = 0
    for fence in _FENCE.finditer(text):
        prose = text[position : fence.start()].strip()
        if prose:
            blocks.append(Block(_public_words(prose, member, role, channel)))
        code = fence.group(1).strip("\n")
        if code.strip():
            blocks.append(Block(code, code=True))
        position = fence.end()
    rest = text[position:].strip()
    if rest:
        blocks.append(Block(_public_words(rest, member, role, channel)))
    return blocks


def _public_words(text: str, member: str, role: str, channel: str) -> str:
    text = _USER_MENTION.sub("@" + member, text)
    text = _ROLE_MENTION.sub("@" + role, text)
    text = _CHANNEL_REF.sub("#" + channel, text)
    text = _CUSTOM_EMOJI.sub(r":\1:", text)
    return _TIMESTAMP.sub(_utc, text)


def _utc(match: re.Match[str]) -> str:
    try:
        moment = datetime.fromtimestamp(int(match.group(1)), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return match.group(0)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def excerpt(text: str, limit: int = PUBLIC_EXCERPT) -> str:
    """The start of a post, in one paragraph, cut at a word."""
    flat = " ".join(_FENCE.sub(" … ", text).split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + "…"


def parse_cursor(value: str) -> tuple[int, int] | None:
    """``"<solved_at>-<thread_id>"`` from an "Older" link, or ``None``."""
    found = _CURSOR.match(value)
    return (int(found.group(1)), int(found.group(2))) if found else None


def cursor(solved_at: int, thread_id: int) -> str:
    return f"{solved_at}-{thread_id}"
