"""W&B failures turned into messages a user can act on: the error types and the rule table that picks one.

`translate_error` reads what went wrong (the HTTP status and the library's own words, key removed)
and takes the first rule of `RULES` that recognises it. Rules are checked in order: an answer the
server gave (a refused key, a missing project) is recognised before how a request failed (a
timeout, no route), and a server the visitor named is never described beyond "that server".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lib.sources.errors import SourceError
from lib.sources.wandb.auth import scrub
from lib.sources.wandb.hosts import key_page, may_be_named

if TYPE_CHECKING:
    from lib.sources.wandb.spec import WandbSpec
    from lib.sweep import Sweep

logger = logging.getLogger(__name__)


class WandbError(SourceError):
    """Reading from W&B failed; the message says what to do."""


class NoApiKeyError(WandbError):
    """No key in the field, the app's secrets or the environment."""


class BadApiKeyError(WandbError):
    """The key is malformed, or the server does not accept it."""


class WandbUnreachableError(WandbError):
    """No answer: no network, a wrong address, or a timeout."""


class ProjectNotFoundError(WandbError):
    """No such entity or project, as far as this key can see."""


class AccessDeniedError(WandbError):
    """The project exists but this key's account may not read it."""


class RateLimitedError(WandbError):
    """The server asks this key to slow down."""


class SweepNotFoundError(WandbError):
    """The project has no sweep with this id."""


class RunNotFoundError(WandbError):
    """The project has no run with this id."""


class NoRunsError(WandbError):
    """The project or sweep exists but holds no runs yet."""


class WandbServerError(WandbError):
    """The server failed, or answered with an error of its own."""


class IncompleteFetchError(WandbError):
    """Some pages arrived, then W&B failed: `partial` holds what arrived, marked as partial."""

    def __init__(self, message: str, partial: Sweep, fetched: int, total: int | None) -> None:
        super().__init__(message)
        self.partial = partial
        self.fetched = fetched
        self.total = total


# ----------------------------------------------------------------------------------------------
# What is known about a failure
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failed request, as the rules see it: the words (key removed, lower case) and the status."""

    spec: WandbSpec
    reason: str
    status: int | None
    timeout: float
    exc_type: str

    @property
    def words(self) -> str:
        return self.reason.lower()

    @property
    def named(self) -> bool:
        """Whether the server may be named in a message (W&B's own or the configured one)."""
        return may_be_named(self.spec.base_url)

    def message_fields(self) -> dict[str, Any]:
        """What a rule's message may mention, by name."""
        spec = self.spec
        return {
            "host": urlsplit(spec.base_url).netloc if self.named else "That server",
            "key_page": key_page(spec.base_url),
            "path": spec.path,
            "label": spec.label,
            "sweep_id": spec.sweep_id,
            "run_id": spec.run_id,
            "timeout": self.timeout,
            "status": self.status,
            "first_sentence": _first_sentence(self.reason),
            "reason": self.reason or self.exc_type,
        }


Recognise = Callable[[Failure], bool]


def says(*phrases: str) -> Recognise:
    """The library's words contain one of `phrases`."""
    return lambda failure: any(phrase in failure.words for phrase in phrases)


def status_is(code: int) -> Recognise:
    return lambda failure: failure.status == code


def either(*tests: Recognise) -> Recognise:
    return lambda failure: any(test(failure) for test in tests)


def both(*tests: Recognise) -> Recognise:
    return lambda failure: all(test(failure) for test in tests)


def server_failed(failure: Failure) -> bool:
    return failure.status is not None and failure.status >= 500


def unnamed_server(failure: Failure) -> bool:
    return not failure.named


def sweep_missing(failure: Failure) -> bool:
    loose = bool(failure.spec.sweep_id) and "sweep" in failure.words and "not found" in failure.words
    return "could not find sweep" in failure.words or loose


_NO_ROUTE = re.compile(r"dial tcp|connection refused|no such host|network is unreachable|\b(eof|tls|x509)\b")


def no_route(failure: Failure) -> bool:
    return bool(_NO_ROUTE.search(failure.words))


# ----------------------------------------------------------------------------------------------
# The rules, first match wins
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How to recognise one kind of failure, and what to tell the user (a `str.format` template)."""

    recognise: Recognise
    error: type[WandbError]
    message: str


RULES: tuple[Rule, ...] = (
    Rule(
        both(says("api key"), says("must have", "may only contain", "empty")),
        BadApiKeyError,
        "That W&B API key is not in the right form ({first_sentence}). "
        "Copy it again from {key_page} and paste the whole key.",
    ),
    Rule(
        either(status_is(401), says("not logged in", "unauthorized")),
        BadApiKeyError,
        "{host} did not accept the W&B API key: it may be mistyped, revoked, or for another "
        "server. Copy a current key from {key_page}.",
    ),
    Rule(
        either(status_is(403), says("permission denied")),
        AccessDeniedError,
        "The account of this API key cannot read {path}. Ask the project's owner for "
        "access, or use a key of an account that is a member of the entity.",
    ),
    Rule(
        either(status_is(429), says("rate limit")),
        RateLimitedError,
        "{host} is limiting how often this API key may ask (rate limited). Wait a minute, then "
        "load again; a saved snapshot opens without asking W&B.",
    ),
    Rule(
        sweep_missing,
        SweepNotFoundError,
        "{path} has no sweep {sweep_id!r}. Check the sweep id (the part after "
        "/sweeps/ in the sweep's URL) and the entity and project names.",
    ),
    Rule(
        says("could not find run"),
        RunNotFoundError,
        "{path} has no run {run_id!r}. Check the run id (the part after /runs/ in the run's URL).",
    ),
    Rule(
        either(status_is(404), says("could not find project", "not found")),
        ProjectNotFoundError,
        "W&B has no project {path} that this key can see. Check the entity (user or "
        "team) and project names; they are the first two parts after the host in the URL.",
    ),
    # A server the visitor named: refused, unknown, silent or bad TLS read alike (no port probe).
    Rule(
        both(unnamed_server, server_failed),
        WandbServerError,
        "That server failed to answer (HTTP {status}). Try again in a few minutes.",
    ),
    Rule(
        unnamed_server,
        WandbUnreachableError,
        "Sweepscope got no usable answer from that server: it may be down, unreachable from here, "
        "too slow, or not a W&B server. Check the address you pasted.",
    ),
    Rule(
        says("did not respond in time", "timeout", "deadline exceeded"),
        WandbUnreachableError,
        "{host} did not answer within {timeout:g} s. Check the network connection; if it "
        "works, the server may be busy: try again in a minute.",
    ),
    Rule(
        no_route,
        WandbUnreachableError,
        "Sweepscope cannot reach {host} ({first_sentence}). Check the network "
        "connection, a proxy if you need one, and the server address.",
    ),
    Rule(
        server_failed,
        WandbServerError,
        "{host} failed to answer (HTTP {status}). This is on W&B's side: try again in a few minutes.",
    ),
)
OTHERWISE = Rule(lambda failure: True, WandbServerError, "W&B could not give {label}: {reason}.")


def translate_error(exc: BaseException, spec: WandbSpec, key: str, timeout: float) -> WandbError:
    """A `WandbError` for what went wrong under `exc`, with what the user can do about it."""
    if isinstance(exc, WandbError):
        return exc
    failure = failure_of(exc, spec, key, timeout)
    rule = rule_for(failure)
    return rule.error(rule.message.format(**failure.message_fields()))


def failure_of(exc: BaseException, spec: WandbSpec, key: str, timeout: float) -> Failure:
    """What the rules see of `exc`: its words with the key removed, and the HTTP status under it."""
    reason = _reason(exc, key)
    return Failure(spec, reason, _http_status(exc, reason), timeout, type(exc).__name__)


def rule_for(failure: Failure) -> Rule:
    """The first rule that recognises `failure`, else `OTHERWISE`."""
    return next((rule for rule in RULES if rule.recognise(failure)), OTHERWISE)


@contextmanager
def translated(spec: WandbSpec, key: str, timeout: float) -> Iterator[None]:
    """Any failure inside becomes the `WandbError` that says what to do (logged without the key)."""
    try:
        yield
    except WandbError:
        raise
    except Exception as exc:
        error = translate_error(exc, spec, key, timeout)
        logger.info("W&B request for %s failed: %s", spec.label, _reason(exc, key))
        raise error from None


# ----------------------------------------------------------------------------------------------
# Reading an exception
# ----------------------------------------------------------------------------------------------


def _error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "exc", None)  # wandb's CommError keeps the original here
        todo += [
            current.__cause__,
            current.__context__,
            wrapped if isinstance(wrapped, BaseException) else None,
        ]


def _http_status(exc: BaseException, text: str) -> int | None:
    for error in _error_chain(exc):
        status = getattr(getattr(error, "response", None), "http_status", 0)
        if isinstance(status, int) and status:
            return status
    found = re.search(r"HTTP (\d{3})", text)
    return int(found.group(1)) if found else None


def _reason(exc: BaseException, key: str) -> str:
    """The library's own words, key removed, one line."""
    words = " | ".join(dict.fromkeys(str(e).strip() for e in _error_chain(exc) if str(e).strip()))
    return scrub(" ".join(words.split()), key)[:400]


def _first_sentence(text: str) -> str:
    return text.split(" | ")[-1].split("\n")[0].strip().rstrip(".")[:200]
