"""Groups as lists of element indices or feature names, or a dict of named groups, give
the same explanations as one group id per element."""

import numpy as np
import pytest
from conftest import BASELINE, X, linear_gradient, linear_predict

import lumen

NAMES = ["income", "debt", "age", "tenure"]
BACKGROUND = np.array([[0, 1, -1, 2], [1, -1, 0.5, 0], [2, 0, 1.5, -2]], dtype=np.float32)


@pytest.fixture
def named():
    with lumen.Model(
        linear_predict, input_len=4, output_len=2, gradient=linear_gradient, feature_names=NAMES, concurrent=True
    ) as m:
        yield m


def test_feature_ablation_group_lists_equal_the_element_ids(engine, named):
    ids = engine.feature_ablation(named, X, feature_mask=[1, 0, 1, 0], baseline=BASELINE, group_attributions=True)
    for mask in ([[1, 3], [0, 2]], [["debt", "tenure"], ["income", "age"]], [[1, "tenure"], ["income", 2]]):
        lists = engine.feature_ablation(named, X, feature_mask=mask, baseline=BASELINE, group_attributions=True)
        np.testing.assert_array_equal(lists.attributions, ids.attributions)
    by_name = engine.feature_ablation(
        named, X, feature_mask={"liabilities": ["debt", "tenure"], "profile": [0, 2]}, group_attributions=True
    )
    assert by_name.feature_names == ["liabilities", "profile"]


def test_kernel_shap_player_lists_equal_the_element_ids(engine, named):
    ids = engine.kernel_shap(named, X, BACKGROUND, players=[0, 0, 1, 2], player_names=["money", "age", "tenure"])
    lists = engine.kernel_shap(named, X, BACKGROUND, players={"money": ["income", "debt"], "age": [2], "tenure": [3]})
    np.testing.assert_array_equal(lists.attributions, ids.attributions)
    assert lists.feature_names == ["money", "age", "tenure"]
    sampled = engine.shapley_sampling(named, X, BACKGROUND, players=[[0, 1], [2], [3]])
    assert sampled.shape == (2, 2, 3)


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        ([[0, 1], [1, 2, 3]], "element 1 is in groups 0 and 1"),
        ([[0, 1], [2]], r"elements \[3\] are in no group"),
        ([[0, 4], [1, 2, 3]], "element 4 is out of range"),
        ([["income", "salary"], [1, 2, 3]], "feature 'salary' is not one of the model's features"),
        ([[0, 1], []], "group 1 is"),
    ],
)
def test_bad_groups_are_named(engine, named, mask, message):
    with pytest.raises(lumen.InvalidInputError, match=message):
        engine.feature_ablation(named, X, feature_mask=mask)


def test_names_need_a_model_with_feature_names(engine, linear):
    with pytest.raises(lumen.InvalidInputError, match="the model has no feature names"):
        engine.kernel_shap(linear, X, BACKGROUND, players=[["income"], [1, 2, 3]])
    with pytest.raises(lumen.InvalidInputError, match="player_names: give names either"):
        engine.kernel_shap(linear, X, BACKGROUND, players={"a": [0, 1], "b": [2, 3]}, player_names=["x", "y"])
