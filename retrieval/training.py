"""What every fine-tuning run of the project shares."""

from __future__ import annotations

from torch import nn


def freeze_word_embeddings(model: nn.Module, min_rows: int = 1000) -> int:
    """Stop training the large embedding tables (multilingual-e5's 250k word vectors): a few thousand training
    texts touch few of them, and their dense gradient and AdamW update cost more than the rest of a CPU step.
    Returns how many parameters were frozen."""
    frozen = 0
    for module in model.modules():
        if isinstance(module, nn.Embedding) and module.num_embeddings > min_rows:
            module.weight.requires_grad_(False)
            frozen += module.weight.numel()
    return frozen
