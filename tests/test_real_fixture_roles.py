"""Every real fixture: the metric it opens on and the roles of its notable columns.

The expectations are written down as data, each with the reason a person reading the columns
would give; the test loads the fixture through the headless API and checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lib.sources import SourceError, load_source
from lib.sweep import Sweep

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


@dataclass(frozen=True)
class Expected:
    """What a person reading the columns would conclude."""

    path: str  # below tests/fixtures/real
    opens_on: str
    why_that_metric: str
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)  # column -> (role, why a person says so)


PARAMETER, METRIC, BOOKKEEPING = "parameter", "metric", "bookkeeping"

EXPECTED = [
    Expected(
        "wandb_runs_csv/NevroHelios__DeepWaste-Optimization__notebooks__wandb_export.csv",
        "val_accuracy",
        "a waste classifier is judged on held-out accuracy; per-class scores are breakdowns of it",
        {
            "epoch": (BOOKKEEPING, "the epoch a run stopped at counts steps, it is not an outcome"),
            "trainer/global_step": (BOOKKEEPING, "Lightning's step counter"),
            "val_loss": (METRIC, "validation loss is an outcome"),
            "val_f1_class_glass": (METRIC, "a per-class outcome, still a metric, just not the headline"),
            "train_loss_step": (METRIC, "the training loss at the last step is a loss, not a counter"),
            "lr": (PARAMETER, "the swept learning rate, in the config block"),
            "use_augmentation": (PARAMETER, "a switch the sweep varies"),
        },
    ),
    Expected(
        "wandb_runs_csv/Lucas-longxutang__Comp3242_Group_Project_nanoGPT__training_records__wandb_export.csv",
        "val/loss",
        "a language-model ablation is compared on validation loss",
        {
            "iter": (BOOKKEEPING, "the last iteration, 5000 in every run: a step counter"),
            "lr": (BOOKKEEPING, "the schedule's final learning rate logged into the summary"),
            "train/loss": (METRIC, "training loss"),
            "n_params": (PARAMETER, "a config value that follows from the architecture settings"),
            "activation_type": (PARAMETER, "one of the ablated choices"),
        },
    ),
    Expected(
        "wandb_runs_csv/Adamaya__cs6886w-assignment3__wandb_export.csv",
        "quant_test_acc",
        "a quantisation grid is judged on the quantised model's test accuracy",
        {
            "activation_mem_fp32_mb": (BOOKKEEPING, "the fp32 baseline's memory: the same in all 10 runs"),
            "baseline_model_mb": (BOOKKEEPING, "the unquantised model's size: the same in all 10 runs"),
            "quant_model_mb": (METRIC, "the quantised size is an outcome of the bit widths"),
            "compression_ratio_weights": (METRIC, "an outcome of the weight bits"),
            "quant_test_loss": (METRIC, "test loss"),
            "weight_bits": (PARAMETER, "one axis of the grid"),
            "act_bits": (PARAMETER, "the other axis of the grid"),
        },
    ),
    Expected(
        "wandb_runs_csv/kingb12__text_aug_experiments__wandb_export.csv",
        "train/aug_on_aug_test_accuracy",
        "the first test accuracy; the `train/` prefix is the HF Trainer's, the split is `test`",
        {
            "augment_probability": (PARAMETER, "the one setting the five runs vary (0.2 ... 1.0)"),
            "train/aug_on_aug_test_runtime": (METRIC, "evaluation time: a metric, not the headline"),
            "train/clean_on_clean_test_f1": (METRIC, "a test F1"),
            "Notes": (BOOKKEEPING, "a W&B run field"),
        },
    ),
    Expected(
        "wandb_api_csv/sdbuch__thinky-manifolds__wandb_results.csv",
        "test_accuracy",
        "test accuracy is the held-out outcome this table reports",
        {
            "manifold_steps": (PARAMETER, "the setting varied most"),
            "admm_rho": (PARAMETER, "a solver setting"),
            "lr": (PARAMETER, "a setting, here one value for all runs"),
            "train_loss": (METRIC, "training loss"),
        },
    ),
    Expected(
        "wandb_dirs/Yogesh0arya__da6401_assignment1",
        "val_accuracy",
        "validation accuracy, not the training accuracy the first column holds",
        {
            "epoch": (BOOKKEEPING, "the last epoch, 10 in every run: a step counter"),
            "train_accuracy": (METRIC, "training accuracy"),
            "learning_rate": (PARAMETER, "swept by the sweep"),
        },
    ),
    Expected(
        "wandb_dirs/nicetea17__CIFAR10-Classifier-AlexNet-and-Resnet18",
        "max_val_acc",
        "the best validation accuracy each run reached, logged by 23 of 25 runs (`accuracy` by only 1)",
        {
            "summary.learning_rate": (BOOKKEEPING, "the cosine schedule's last value, logged over config lr"),
            "epoch": (BOOKKEEPING, "the last epoch: a step counter"),
            "accuracy": (METRIC, "an outcome, though one run logged it"),
            "val_acc": (METRIC, "the last validation accuracy"),
            "throughput_images_per_sec": (METRIC, "a speed: a metric, not the headline"),
            "learning_rate": (PARAMETER, "the configured learning rate"),
            "params_m": (PARAMETER, "model size from the config: follows the model choice"),
        },
    ),
    Expected(
        "optuna/adlane98__koleo-study__optuna_study.db",
        "value",
        "the study's objective",
        {
            "koleo_weight": (PARAMETER, "in the study's search space"),
            "last_intermediate_value": (METRIC, "the last value a trial reported"),
            "last_intermediate_step": (BOOKKEEPING, "the step of that report"),
            "user_attrs.koleo_weight": (BOOKKEEPING, "a trial attribute copying a parameter"),
        },
    ),
]
REFUSED = ["wandb_history_csv/TemplierPaul__pyUCEA__wandb_export.csv"]  # a line-plot export


def spec_of(relative: str) -> str:
    path = REAL / relative
    if path.suffix == ".db":
        return f"sqlite:///{path}"
    return str(path / "wandb" if path.is_dir() else path)


def role_of(sweep: Sweep, column: str) -> str:
    if column in sweep.params:
        return PARAMETER
    if column in sweep.metrics:
        return METRIC
    return BOOKKEEPING


@pytest.fixture(scope="module")
def loaded() -> dict[str, Sweep]:
    return {e.path: load_source(spec_of(e.path)) for e in EXPECTED}


def test_every_real_fixture_is_covered() -> None:
    files = {str(p.relative_to(REAL)) for p in REAL.glob("*/*") if p.name != "README.md"}
    assert files == {e.path for e in EXPECTED} | set(REFUSED)


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.path.split("/")[-1][:40])
def test_opens_on_the_metric_a_person_would_pick(expected: Expected, loaded: dict[str, Sweep]) -> None:
    sweep = loaded[expected.path]
    assert sweep.default_metric == expected.opens_on, expected.why_that_metric
    assert sweep.primary_reason, "the home page needs a reason to show"


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.path.split("/")[-1][:40])
def test_notable_columns_have_the_roles_a_person_would_give(
    expected: Expected, loaded: dict[str, Sweep]
) -> None:
    sweep = loaded[expected.path]
    for column, (role, why) in expected.roles.items():
        assert column in sweep.runs, column
        assert role_of(sweep, column) == role, f"{column}: {why}"
        assert sweep.reasons[column].startswith(f"{role}:"), (column, sweep.reasons[column])


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda e: e.path.split("/")[-1][:40])
def test_no_step_counter_learning_rate_or_constant_is_a_metric(
    expected: Expected, loaded: dict[str, Sweep]
) -> None:
    sweep = loaded[expected.path]
    for metric in sweep.metrics:
        present = sweep.runs[metric].dropna()
        assert len(present) < 2 or present.nunique() > 1, f"{metric} is constant"
        assert metric.split("/")[-1] not in {"epoch", "iter", "step", "global_step", "lr", "learning_rate"}


def test_the_history_export_is_still_refused() -> None:
    for relative in REFUSED:
        with pytest.raises(SourceError, match="line-plot"):
            load_source(spec_of(relative))
