"""The rule table that turns a W&B failure into a message (`lib.sources.wandb.errors`), rule by rule.

The oracle is the behaviour the table replaced (an if-chain), written out here case by case: which
error type and which words each kind of failure gets, including where the order of the rules
decides (a 401 from a server the visitor named is still a refused key; a timeout there is not).
`tests/sources/wandb/test_api.py` checks the same messages end to end against a stand-in server.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lib.sources.wandb.errors import (
    OTHERWISE,
    RULES,
    AccessDeniedError,
    BadApiKeyError,
    Failure,
    ProjectNotFoundError,
    RateLimitedError,
    Rule,
    RunNotFoundError,
    SweepNotFoundError,
    WandbError,
    WandbServerError,
    WandbUnreachableError,
    failure_of,
    rule_for,
    translate_error,
)
from lib.sources.wandb.spec import WandbSpec

KEY = "k" * 40
CLOUD = WandbSpec("alice", "mnist")
SWEEP = WandbSpec("alice", "mnist", sweep_id="abc123")
RUN = WandbSpec("alice", "mnist", run_id="r1")
VISITORS = WandbSpec("alice", "mnist", base_url="https://wandb.visitor.example")


class Answered(Exception):
    """An exception carrying the server's HTTP status, the way wandb's errors do."""

    def __init__(self, status: int, text: str = "") -> None:
        super().__init__(text)
        self.response = SimpleNamespace(http_status=status)


class CommError(Exception):
    """wandb's wrapper: the original error under `.exc`."""

    def __init__(self, text: str, exc: BaseException) -> None:
        super().__init__(text)
        self.exc = exc


@pytest.fixture(autouse=True)
def cloud_is_the_configured_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WANDB_BASE_URL", raising=False)


CASES = [
    # (spec, exception, error type, words in the message)
    (CLOUD, Exception("API key must have 40+ characters"), BadApiKeyError, "not in the right form"),
    (CLOUD, Exception("api key may only contain letters"), BadApiKeyError, "wandb.ai/authorize"),
    (CLOUD, Answered(401), BadApiKeyError, "api.wandb.ai did not accept the W&B API key"),
    (CLOUD, Exception("user is not logged in"), BadApiKeyError, "did not accept"),
    (VISITORS, Answered(401), BadApiKeyError, "That server did not accept the W&B API key"),
    (VISITORS, Answered(401), BadApiKeyError, "that server's authorize page"),
    (CLOUD, Answered(403), AccessDeniedError, "cannot read alice/mnist"),
    (CLOUD, Exception("permission denied"), AccessDeniedError, "Ask the project's owner"),
    (CLOUD, Answered(429), RateLimitedError, "api.wandb.ai is limiting"),
    (VISITORS, Exception("rate limit exceeded"), RateLimitedError, "That server is limiting"),
    (SWEEP, Exception("Could not find sweep alice/mnist/abc123"), SweepNotFoundError, "no sweep 'abc123'"),
    (SWEEP, Exception("sweep abc123 not found"), SweepNotFoundError, "Check the sweep id"),
    (CLOUD, Exception("sweep abc123 not found"), ProjectNotFoundError, "no project alice/mnist"),
    (RUN, Exception("Could not find run r1"), RunNotFoundError, "no run 'r1'"),
    (CLOUD, Answered(404), ProjectNotFoundError, "W&B has no project alice/mnist that this key can see"),
    (CLOUD, Exception("could not find project mnist"), ProjectNotFoundError, "Check the entity"),
    (VISITORS, Answered(500), WandbServerError, "That server failed to answer (HTTP 500). Try again"),
    (VISITORS, Exception("context deadline exceeded"), WandbUnreachableError, "no usable answer"),
    (VISITORS, Exception("dial tcp: connection refused"), WandbUnreachableError, "Check the address"),
    (VISITORS, Exception("something odd"), WandbUnreachableError, "not a W&B server"),
    (CLOUD, Exception("context deadline exceeded"), WandbUnreachableError, "did not answer within 30 s"),
    (CLOUD, Exception("request timeout"), WandbUnreachableError, "api.wandb.ai did not answer"),
    (CLOUD, Exception("dial tcp: connection refused"), WandbUnreachableError, "cannot reach api.wandb.ai"),
    (CLOUD, Exception("x509: certificate signed by unknown authority"), WandbUnreachableError, "(x509"),
    (CLOUD, Answered(503), WandbServerError, "failed to answer (HTTP 503). This is on W&B's side"),
    (CLOUD, Exception("server said HTTP 502 bad gateway"), WandbServerError, "(HTTP 502)"),
    (CLOUD, Exception("something odd"), WandbServerError, "W&B could not give alice/mnist: something odd."),
    (CLOUD, RuntimeError(), WandbServerError, "W&B could not give alice/mnist: RuntimeError."),
]


@pytest.mark.parametrize(("spec", "exc", "kind", "words"), CASES)
def test_each_failure_gets_its_message(
    spec: WandbSpec, exc: BaseException, kind: type[WandbError], words: str
) -> None:
    error = translate_error(exc, spec, KEY, timeout=30.0)
    assert type(error) is kind
    assert words in str(error)


def test_every_rule_answers_for_some_failure() -> None:
    """No rule is shadowed by an earlier one: each answers first for at least one case above."""
    answered = {rule_for(failure_of(exc, spec, KEY, 30.0)) for spec, exc, _, _ in CASES}
    assert answered == {*RULES, OTHERWISE}


@pytest.mark.parametrize("rule", [*RULES, OTHERWISE], ids=lambda rule: rule.error.__name__)
def test_every_message_names_only_fields_a_failure_has(rule: Rule) -> None:
    failure = Failure(SWEEP, "words", 500, 30.0, "Exception")
    assert rule.message.format(**failure.message_fields())


def test_the_status_is_found_under_wandbs_wrapper() -> None:
    error = translate_error(CommError("failed", Answered(403)), CLOUD, KEY, timeout=30.0)
    assert isinstance(error, AccessDeniedError)


def test_the_key_never_reaches_the_message() -> None:
    error = translate_error(Exception(f"bad request with {KEY}"), CLOUD, KEY, timeout=30.0)
    assert KEY not in str(error) and "bad request with" in str(error)


def test_a_wandb_error_passes_unchanged() -> None:
    original = RateLimitedError("slow down")
    assert translate_error(original, CLOUD, KEY, timeout=30.0) is original
