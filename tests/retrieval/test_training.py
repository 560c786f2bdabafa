from torch import nn

from retrieval.training import freeze_word_embeddings


def test_only_large_embedding_tables_are_frozen():
    model = nn.ModuleDict({"words": nn.Embedding(5000, 4), "positions": nn.Embedding(512, 4), "dense": nn.Linear(4, 4)})
    assert freeze_word_embeddings(model) == 5000 * 4
    assert not model["words"].weight.requires_grad
    assert model["positions"].weight.requires_grad and model["dense"].weight.requires_grad
