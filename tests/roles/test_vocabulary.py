"""What a name says, checked on names people log (W&B, Lightning, Hugging Face, ranking benchmarks)."""

from __future__ import annotations

import pytest

from lib.columns import Direction, guess_direction
from lib.roles.vocabulary import (
    Split,
    is_learning_rate_name,
    is_model_size_name,
    is_step_counter_name,
    looks_like_metric_name,
    names_a_metric,
    split_of,
)


@pytest.mark.parametrize(
    "name",
    [
        "epoch",
        "iter",
        "step",
        "_step",
        "global_step",
        "trainer/global_step",
        "batch_step",
        "samples_seen",
        "train/epoch",
        "train/global_step",
        "tokens_seen",
        "time/total_timesteps",
        "iteration",
    ],
)
def test_step_counters(name: str) -> None:
    assert is_step_counter_name(name)


@pytest.mark.parametrize(
    "name", ["train_loss_step", "epochs", "max_epochs", "warmup_steps", "lr_decay_iters", "epoch_time_sec"]
)
def test_not_step_counters(name: str) -> None:
    assert not is_step_counter_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "MRR",
        "Hit@1",
        "Hit@10",
        "Mean Rank",
        "mAP",
        "top1",
        "top_5",
        "auroc",
        "ndcg@10",
        "perplexity",
        "bleu",
        "reward",
        "return",
        "score",
        "val_loss",
        "test/accuracy",
    ],
)
def test_metric_words_beat_the_order_hint(name: str) -> None:
    assert names_a_metric(name) and looks_like_metric_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "loss_weight",
        "score_threshold",
        "reward_scale",
        "rank",
        "lora_rank",
        "top_k",
        "train_epochs",
        "lr",
        "dropout",
        "eval_interval",
    ],
)
def test_settings_named_near_a_metric_are_not_metrics(name: str) -> None:
    assert not names_a_metric(name)


def test_learning_rates_and_model_sizes() -> None:
    for name in ("lr", "learning_rate", "summary.learning_rate", "lr-Adam", "train/learning_rate", "min_lr"):
        assert is_learning_rate_name(name), name
    assert not is_learning_rate_name("val_loss")
    for name in ("n_params", "params_m", "num_parameters", "flops", "flops_m", "quant_model_mb"):
        assert is_model_size_name(name), name
    assert not is_model_size_name("val_accuracy")


def test_the_last_split_word_wins() -> None:
    assert split_of("val_accuracy") is Split.VALIDATION
    assert split_of("eval/f1") is Split.VALIDATION
    assert split_of("train/clean_on_aug_test_accuracy") is Split.TEST  # HF's `train/` prefix on a test metric
    assert split_of("train_loss") is Split.TRAIN
    assert split_of("accuracy") is Split.UNSTATED
    assert Split.VALIDATION > Split.TEST > Split.UNSTATED > Split.TRAIN


def test_ranking_metric_directions() -> None:
    assert guess_direction("Mean Rank") is Direction.MINIMIZE
    assert guess_direction("mean_rank") is Direction.MINIMIZE
    for name in ("MRR", "Hit@10", "hits_at_1", "ndcg@10", "mAP"):
        assert guess_direction(name) is Direction.MAXIMIZE, name
