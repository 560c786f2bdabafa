import math

import pytest
import torch
from sentence_transformers.sentence_transformer.losses import DistillKLDivLoss, MarginMSELoss

from distill.losses import KLDistillLoss, MarginMSEDistillLoss, listwise_kl, margin_mse


def test_listwise_kl_by_hand():
    # teacher softmax([0, ln 3]) = [1/4, 3/4], student softmax([0, 0]) = [1/2, 1/2]
    # KL = 1/4 ln(1/2) + 3/4 ln(3/2) = -0.1732868 + 0.3040988 = 0.1308120
    student, teacher = torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, math.log(3)]])
    assert listwise_kl(student, teacher).item() == pytest.approx(0.1308120, abs=1e-6)
    # teacher temperature 0.5 doubles the teacher logits: softmax([0, 2 ln 3]) = [1/10, 9/10]
    # KL = 1/10 ln(1/5) + 9/10 ln(9/5) = -0.1609438 + 0.5290080 = 0.3680642
    assert listwise_kl(student, teacher, teacher_temperature=0.5).item() == pytest.approx(0.3680642, abs=1e-6)
    # student temperature 2 scales the result by 2**2 (student [0, 0] stays uniform): 4 * 0.1308120 = 0.5232481
    assert listwise_kl(student, teacher, student_temperature=2.0).item() == pytest.approx(0.5232481, abs=1e-6)
    # batchmean: two queries, the second matching its teacher exactly (KL 0): (0.1308120 + 0) / 2
    batch = listwise_kl(torch.tensor([[0.0, 0.0], [1.0, 2.0]]), torch.tensor([[0.0, math.log(3)], [1.0, 2.0]]))
    assert batch.item() == pytest.approx(0.0654060, abs=1e-6)


def test_margin_mse_by_hand():
    # student margins [1 - 0, 1 - 0.5] = [1, 0.5]; teacher margins [3 - 1, 3 - 2] = [2, 1]
    # MSE = ((1 - 2)^2 + (0.5 - 1)^2) / 2 = 0.625
    assert margin_mse(torch.tensor([[1.0, 0.0, 0.5]]), torch.tensor([[3.0, 1.0, 2.0]])).item() == pytest.approx(0.625)


def test_score_functions_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(1, 2\) and \(1, 3\)"):
        listwise_kl(torch.zeros(1, 2), torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"candidates >= 2"):
        margin_mse(torch.zeros(2, 1), torch.zeros(2, 1))


@pytest.fixture(scope="module")
def student(tiny_bi_encoder_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(tiny_bi_encoder_dir), device="cpu")


COLUMNS = [["capital of norway", "music film"],
           ["oslo is the capital of norway", "music and film"],
           ["paris is the capital of france", "the river in the city"],
           ["the war of the king", "film and science"]]
TEACHER = torch.tensor([[5.0, 2.0, -1.0], [4.0, 0.5, 3.0]])


def test_losses_match_sentence_transformers_on_a_batch(student):
    features = [student.tokenize(column) for column in COLUMNS]
    ours = KLDistillLoss(student, student_temperature=0.5, teacher_temperature=2.0)
    theirs = DistillKLDivLoss(student, student_temperature=0.5, teacher_temperature=2.0)
    with torch.no_grad():
        assert ours(features, TEACHER).item() == pytest.approx(theirs(features, TEACHER).item(), rel=1e-5)
        assert MarginMSEDistillLoss(student)(features, TEACHER).item() == pytest.approx(
            MarginMSELoss(student)(features, TEACHER).item(), rel=1e-5)
    with pytest.raises(ValueError, match=r"3 candidate columns and labels of shape \(2, 2\)"):
        ours(features, TEACHER[:, :2])
