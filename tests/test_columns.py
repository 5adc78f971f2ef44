import numpy as np
import pandas as pd
import pytest

from lib.columns import Direction, Kind, flatten, guess_direction, infer_kind, name_tokens


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("val_loss", Direction.MINIMIZE),
        ("val/Loss", Direction.MINIMIZE),
        ("test_error", Direction.MINIMIZE),
        ("eval.mse", Direction.MINIMIZE),
        ("val_accuracy", Direction.MAXIMIZE),
        ("valAcc", Direction.MAXIMIZE),
        ("f1_macro", Direction.MAXIMIZE),
        ("episode_reward", Direction.MAXIMIZE),
        ("roc_auc", Direction.MAXIMIZE),
        ("loss_improvement_score", Direction.MAXIMIZE),
        ("fit_time", Direction.MINIMIZE),
        ("mystery", Direction.MINIMIZE),
    ],
)
def test_guess_direction_reads_the_name(name: str, direction: Direction) -> None:
    assert guess_direction(name) is direction


def test_name_tokens_split_camel_case_and_separators() -> None:
    assert name_tokens("train/valAcc_top1") == ["train", "val", "acc", "top1"]


def test_flatten_makes_dotted_keys_and_text_for_lists() -> None:
    flat = flatten({"model": {"hidden": 64, "act": {"name": "relu"}}, "layers": [64, 32], "empty": {}})
    assert flat == {"model.hidden": 64, "model.act.name": "relu", "layers": "[64, 32]", "empty": "{}"}


def log_uniform(n: int, lo: float, hi: float, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(10 ** rng.uniform(np.log10(lo), np.log10(hi), n))


@pytest.mark.parametrize(
    ("values", "name", "kind"),
    [
        (log_uniform(50, 1e-5, 1e-1), "lr", Kind.LOG),
        (pd.Series(np.linspace(0.1, 0.9, 30)), "dropout", Kind.NUMERIC),
        (pd.Series(range(1, 101)), "epochs", Kind.INTEGER),  # linear 1..100 is not log-spread
        (pd.Series([8, 16, 32, 64, 128, 256, 512, 1024, 2048] * 3), "batch_size", Kind.LOG),
        (pd.Series([16, 32, 64] * 5), "batch_size", Kind.INTEGER),
        (pd.Series([True, False, True]), "augment", Kind.BOOLEAN),
        (pd.Series(["true", "false", "true"]), "augment", Kind.BOOLEAN),
        (pd.Series(["adam", "sgd", "adam", None]), "optimizer", Kind.CATEGORICAL),
        (pd.Series(["[64, 32]", "[128]", "[64, 32]"]), "layers", Kind.CATEGORICAL),
        (pd.Series([3, 3, 3, None]), "depth", Kind.CONSTANT),
        (pd.Series([None, None], dtype=object), "ghost", Kind.CONSTANT),
        (pd.Series([1, 2, 3, 4]), "seed", Kind.IDENTIFIER),
        (pd.Series([f"run-{i}" for i in range(12)]), "label", Kind.IDENTIFIER),
        (pd.Series(["/data/a.csv", "/data/b.csv"]), "train_file", Kind.IDENTIFIER),
        (pd.Series(["2024-01-01T10:00:00", "2024-01-02T11:00:00"]), "started", Kind.IDENTIFIER),
        (pd.Series([1.5, "big", 2.0]), "size", Kind.CATEGORICAL),
        (pd.Series([np.inf, np.nan, 1.0, 2.5]), "score", Kind.NUMERIC),
    ],
)
def test_infer_kind_decides_from_the_data(values: pd.Series, name: str, kind: Kind) -> None:
    assert infer_kind(values, name) is kind


def test_integer_zero_one_columns_stay_numbers_and_text_true_false_is_boolean() -> None:
    assert infer_kind(pd.Series([0, 1, 1, 0, 1]), "warmup") is Kind.INTEGER
    assert infer_kind(pd.Series(["true", "false", "true"]), "use_bias") is Kind.BOOLEAN
