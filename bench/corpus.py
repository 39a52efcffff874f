"""Forum text as a real questions forum writes it: a Zipf vocabulary with a long tail.

A few hundred words (English, and the Flask/Werkzeug/Jinja vocabulary) make most of
any post, and a long tail of identifiers makes the rest: exception names
(``TemplateNotFoundError``), function and method names (``get_user_profile``),
package and module names (``flask-frobnicate``, ``app.models.invoice``), built from
a pool of project-specific words. Word ranks follow Zipf's law over the whole
vocabulary, so a bigger forum holds more of the tail, as Heaps' law says it should.

Posts run from a couple of lines to several thousand characters (log-normal), with
code blocks and tracebacks; the questions the bench asks are drawn the same way. The
vocabulary is fixed by its seed, so the same seed always gives the same text.
"""

from __future__ import annotations

import itertools
import math
import random
from functools import cache

#: Ranks of the vocabulary (head words, then the identifiers and project words).
VOCABULARY = 200_000
#: Zipf's exponent over the ranks.
ZIPF = 1.05
#: Log-normal post lengths: the median and the spread (in characters).
BODY_MEDIAN = 450
BODY_SIGMA = 1.0
BODY_LONGEST = 8000

ENGLISH = (
    "the a to i is in it and of my this that for with on not but when have be "
    "from can how do an as at or if what app so after get using use all error "
    "no way one want into by like just then any does now there only new same "
    "still also other some file code try up out should work running trying "
    "working would which because where call called why each first set way "
    "getting make makes made need needs see seems value values instead again "
    "here time line version problem issue question help thanks example doc "
    "docs documentation tried changed change returns return different local "
    "production server browser page data user users list string object class "
    "function method module package import install installed works worked "
    "expected actually correct wrong right simple small big"
).split()
DOMAIN = (
    "flask werkzeug jinja click itsdangerous markupsafe quart blinker sqlalchemy "
    "gunicorn celery pytest wtforms alembic marshmallow pydantic redis postgres "
    "sqlite mysql docker nginx uwsgi waitress wsgi asgi app blueprint route view "
    "request response session cookie template context config debugger reloader "
    "url_for redirect middleware command group option argument form field "
    "validator csrf token database model query migration engine connection pool "
    "test client fixture async await decorator jsonify json static upload "
    "download cache logging logger handler deployment proxy header cors endpoint "
    "api 404 500 factory extension signal teardown current_app environment "
    "variable secret key macro filter autoescape inheritance block loader sandbox "
    "markup escape serializer signature timestamp websocket stream generator "
    "thread worker socket port host certificate https login password hash role "
    "permission admin panel pagination sort search index relationship foreign "
    "column schema transaction commit rollback flush"
).split()
SUFFIXES = ("Error", "Error", "Exception", "Warning", "Failure", "NotFound")
PREFIXES = ("flask", "pytest", "django", "sqlalchemy", "jinja2", "python", "py")
SYLLABLES = (
    "ka lo mi ne ru ta vo zen qua bri stel dor fin gra hex jul kor lum mor "
    "nix pol quin rav sol tor umb vex wal xan yor zul ber cas dal eph fal "
    "gol hin ion jas kel lin mar nor osk pry rem sig tam ulf vin wex yal zor"
).split()


@cache
def vocabulary(seed: int = 2026) -> tuple[str, ...]:
    """The vocabulary, most frequent first (fixed by ``seed``)."""
    rng = random.Random(seed)
    # Project words: the parts of a community's own identifiers.
    project: list[str] = []
    seen: set[str] = set(ENGLISH) | set(DOMAIN)
    while len(project) < 40_000:
        word = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            project.append(word)

    def part() -> str:
        # Identifiers mix the framework's words with the project's own, and reuse
        # some project words far more than others, as code does.
        if rng.random() < 0.35:
            return rng.choice(DOMAIN)
        return project[int(len(project) * rng.random() ** 3)]

    def camel(words: list[str]) -> str:
        return "".join(w[:1].upper() + w[1:] for w in words)

    makers = (
        lambda: (
            camel([part() for _ in range(rng.randint(1, 3))]) + rng.choice(SUFFIXES)
        ),
        lambda: "_".join(part() for _ in range(rng.randint(2, 4))),
        lambda: rng.choice(PREFIXES) + "-" + part(),
        lambda: camel([part() for _ in range(rng.randint(2, 3))]),
        lambda: ".".join(["app", *(part() for _ in range(rng.randint(1, 3)))]),
        lambda: part() + str(rng.randint(2, 99)),
    )
    identifiers: list[str] = []
    while len(identifiers) + len(project) < VOCABULARY - len(ENGLISH) - len(DOMAIN):
        name = rng.choice(makers)()
        if name not in seen:
            seen.add(name)
            identifiers.append(name)
    tail = identifiers + project
    rng.shuffle(tail)
    head = ENGLISH + DOMAIN
    rng.shuffle(head)
    return tuple(head + tail)


@cache
def _cumulative(size: int) -> tuple[float, ...]:
    return tuple(itertools.accumulate(1.0 / (rank + 1) ** ZIPF for rank in range(size)))


class Corpus:
    """Question-like text drawn from :func:`vocabulary`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = vocabulary()
        self.cum = _cumulative(len(self.words))

    def some(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=k)

    def _tail(self, k: int) -> list[str]:
        """Words from the long tail only (identifiers, project words)."""
        start = len(ENGLISH) + len(DOMAIN)
        return [
            self.words[self.rng.randrange(start, len(self.words))] for _ in range(k)
        ]

    def title(self) -> str:
        rng = self.rng
        w = self.some(6)
        shape = rng.randrange(4)
        if shape == 0:
            text = f"{w[0]} {w[1]} raises {w[2]} in {w[3]}"
        elif shape == 1:
            text = f"How do I {w[0]} {w[1]} with {w[2]} {w[3]}?"
        elif shape == 2:
            text = f"{w[0]}: {w[1]} {w[2]} not {w[3]} after {w[4]}"
        else:
            text = f"{w[0]} {w[1]} {w[2]} {w[3]} {w[4]} {w[5]}"
        return text[:100]

    def _sentence(self) -> str:
        words = self.some(self.rng.randint(6, 22))
        return words[0][:1].upper() + words[0][1:] + " " + " ".join(words[1:]) + "."

    def _code(self) -> str:
        rng = self.rng
        lines = []
        for _ in range(rng.randint(2, 12)):
            w = self.some(4)
            lines.append(
                rng.choice(
                    (
                        f"    {w[0]} = {w[1]}.{w[2]}({w[3]!r})",
                        f"def {w[0]}({w[1]}, {w[2]}=None):",
                        f"from {w[0]} import {w[1]}",
                        f"    return {w[0]}({w[1]})",
                        f"@app.route('/{w[0]}/<{w[1]}>')",
                    )
                )
            )
        return "```py\n" + "\n".join(lines) + "\n```"

    def _traceback(self) -> str:
        rng = self.rng
        lines = ["Traceback (most recent call last):"]
        for _ in range(rng.randint(2, 9)):
            w = self.some(3)
            lines.append(
                f'  File "/srv/app/{w[0]}/{w[1]}.py", line {rng.randint(1, 900)}, '
                f"in {w[2]}"
            )
        error = self._tail(1)[0]
        lines.append(f"{error}: {' '.join(self.some(rng.randint(3, 10)))}")
        return "```\n" + "\n".join(lines) + "\n```"

    def body(self) -> str:
        """A question's text: a couple of lines to several thousand characters."""
        rng = self.rng
        length = min(
            BODY_LONGEST,
            max(60, int(rng.lognormvariate(math.log(BODY_MEDIAN), BODY_SIGMA))),
        )
        parts: list[str] = []
        size = 0
        while size < length:
            roll = rng.random()
            if roll < 0.06:
                part = self._traceback()
            elif roll < 0.12:
                part = self._code()
            else:
                part = " ".join(self._sentence() for _ in range(rng.randint(1, 4)))
            parts.append(part)
            size += len(part) + 2
        return "\n\n".join(parts)[:length]

    def solution(self) -> str:
        rng = self.rng
        text = " ".join(self._sentence() for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.3:
            text += "\n\n" + self._code()
        return text
