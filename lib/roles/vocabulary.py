"""What a column's name says: a metric, a setting, a step counter, a learning rate, a model size.

Names are read as word tokens (`lib.columns.name_tokens`: `val/Hit@10` -> [val, hit, 10]); every
predicate here looks at the name only, never at values.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from itertools import pairwise

from lib.columns import name_tokens


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Outcomes people put at the top of a report; the rank says which one a person reads first.
HEADLINE_ACCURACY = _words("acc accuracy top1 top5 success")
HEADLINE_RANKING = _words(
    "f1 auc auroc auprc roc ap map mrr ndcg hit hits bleu rouge iou miou dice reward rewards return "
    "returns score fitness mcc kappa r2 psnr ssim precision recall"
)
HEADLINE_LOSS = _words(
    "loss error err mse mae rmse nll perplexity ppl wer cer fid elbo regret bpb bpc kl cost"
)
METRIC_WORDS = HEADLINE_ACCURACY | HEADLINE_RANKING | HEADLINE_LOSS
# "rank" alone is a setting (LoRA's rank); "mean rank" is a ranking metric.
RANK_QUALIFIERS = _words("mean median avg average")
EVALUATION_PREFIXES = _words("train training val valid validation eval evaluation test dev best final")
# A name ending in one of these is a setting even when it mentions a metric (`loss_weight`).
SETTING_TAILS = _words(
    "weight weights scale coef coeff coefficient lambda threshold thresh size interval freq "
    "frequency every type patience clip decay steps iters warmup fn function mode split "
    "fraction frac ratio dir path margin temperature temp alpha beta gamma eps epsilon factor "
    "penalty bonus discount"
)

# Step counters: a counter word, optionally after words that only say which counter it is.
COUNTER_WORDS = _words("epoch step iter iteration timestep timesteps")
COUNTER_QUALIFIERS = _words(
    "trainer train training global batch total current cur num n opt optimizer update updates "
    "gradient env agent time"
)
SEEN_COUNTERS = _words("samples sample tokens token examples example images frames")

LEARNING_RATE_WORDS = _words("lr learningrate")
MODEL_SIZE_WORDS = _words("params param parameters nparams flops gflops mflops macs mb gb kb bytes")
# Statistics a run logs on the side: speed, memory, gradients, per-class breakdowns.
INCIDENTAL_WORDS = _words(
    "runtime time sec secs seconds duration throughput speed per memory mem gpu cpu grad grads "
    "gradient gradients norm class classes hist histogram std var variance count"
)

VALIDATION_WORDS = _words("val valid validation eval evaluation dev holdout")
TEST_WORDS = _words("test testing")
TRAIN_WORDS = _words("train training")


class Split(IntEnum):
    """Which data a metric was measured on; higher is what a person reads first."""

    TRAIN = 0
    UNSTATED = 1
    TEST = 2
    VALIDATION = 3


def _has_mean_rank(tokens: Sequence[str]) -> bool:
    return any(t == "rank" and i > 0 and tokens[i - 1] in RANK_QUALIFIERS for i, t in enumerate(tokens))


def _has_top_k(tokens: Sequence[str]) -> bool:
    return any(t == "top" and i + 1 < len(tokens) and tokens[i + 1].isdigit() for i, t in enumerate(tokens))


def metric_words_in(name: str) -> list[str]:
    """The metric words a name holds (`val_Hit@10` -> [hit]; `Mean Rank` -> [rank])."""
    tokens = name_tokens(name)
    found = [t for t in tokens if t in METRIC_WORDS]
    if _has_mean_rank(tokens):
        found.append("rank")
    if _has_top_k(tokens):
        found.append("top1")
    return found


def has_setting_tail(name: str) -> bool:
    tokens = name_tokens(name)
    return bool(tokens) and tokens[-1] in SETTING_TAILS


def names_a_metric(name: str) -> bool:
    """A metric word and no setting tail: `MRR`, `Hit@10`, `Mean Rank`, `val_loss`; not `loss_weight`.

    Strong enough to beat the order hint of a W&B export's config block."""
    return bool(metric_words_in(name)) and not has_setting_tail(name)


def looks_like_metric_name(name: str) -> bool:
    """`val_loss`, `train/acc`, `f1`, `MRR`: yes. `loss_weight`, `train_batch_size`, `lr`, `epoch`: no."""
    tokens = name_tokens(name)
    if not tokens or tokens[-1] in SETTING_TAILS or is_step_counter_name(name):
        return False
    if len(tokens) > 1 and tokens[0] in EVALUATION_PREFIXES:
        return True
    return "/" in name or bool(metric_words_in(name))


def is_step_counter_name(name: str) -> bool:
    """`epoch`, `_step`, `global_step`, `trainer/global_step`, `samples_seen`; not `train_loss_step`."""
    tokens = name_tokens(name)
    if not tokens:
        return False
    *qualifiers, last = tokens
    if last in COUNTER_WORDS:
        return all(q in COUNTER_QUALIFIERS for q in qualifiers)
    if last == "seen":
        return bool(qualifiers) and qualifiers[-1] in SEEN_COUNTERS
    return False


def is_learning_rate_name(name: str) -> bool:
    """`lr`, `learning_rate`, `lr-Adam`, `train/learning_rate`: a learning rate, not an outcome."""
    tokens = name_tokens(name)
    if metric_words_in(name):
        return False
    pairs = pairwise(tokens)
    return any(t in LEARNING_RATE_WORDS for t in tokens) or ("learning", "rate") in pairs


def is_model_size_name(name: str) -> bool:
    """`n_params`, `params_m`, `num_parameters`, `flops`, `quant_model_mb`: model size or compute."""
    return any(t in MODEL_SIZE_WORDS for t in name_tokens(name))


def is_incidental_name(name: str) -> bool:
    """Runtime, speed, memory, gradient statistics, per-class breakdowns: logged on the side."""
    return is_model_size_name(name) or any(t in INCIDENTAL_WORDS for t in name_tokens(name))


def split_of(name: str) -> Split:
    """The split a metric name states; the last one wins (`train/clean_on_aug_test_acc` is test)."""
    for token in reversed(name_tokens(name)):
        if token in VALIDATION_WORDS:
            return Split.VALIDATION
        if token in TEST_WORDS:
            return Split.TEST
        if token in TRAIN_WORDS:
            return Split.TRAIN
    return Split.UNSTATED


def headline_rank(name: str) -> int:
    """3 accuracy, 2 ranking/f1/auc/reward/score, 1 loss/error, 0 no headline word."""
    words = set(metric_words_in(name))
    if words & HEADLINE_ACCURACY:
        return 3
    if words & (HEADLINE_RANKING | {"rank"}):
        return 2
    if words & HEADLINE_LOSS:
        return 1
    return 0


def is_best_form(name: str, *, maximize: bool) -> bool:
    """`best_val_acc`, `max_val_acc` (maximized) or `min_val_loss` (minimized): the best a run reached."""
    tokens = set(name_tokens(name))
    return "best" in tokens or ("max" in tokens if maximize else "min" in tokens)
