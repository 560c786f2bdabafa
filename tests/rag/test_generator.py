import pytest

from rag.generator import HFGenerator
from rag.prompts import MIRAGE_PROMPTS


def test_mirage_prompts():
    messages = MIRAGE_PROMPTS.with_context("Who?", ["first chunk", "second chunk"])
    assert messages == [
        {"role": "system", "content": "You are a helpful assistant.\n"},
        {"role": "user", "content": "Question : Who?\n\nContext : 1. first chunk2. second chunk\n\nAnswer :\n"}]
    assert MIRAGE_PROMPTS.closed_book("Who?")[1]["content"] == "Question: Who?\n\nAnswer : \n"


def test_closed_book_prompts_equal_mirage_preset_prompts(data_dir):
    """MIRAGE ships its closed-book prompts (Preset_prompt/base.json): ours must be the same strings."""
    import json

    from rag.mirage_data import load_mirage_questions

    preset = json.loads((data_dir / "mirage" / "base_prompts.json").read_text(encoding="utf-8"))
    questions = load_mirage_questions(data_dir / "mirage" / "dataset.json")
    assert len(preset) == len(questions) == 7560
    for q, messages in zip(questions, preset, strict=True):
        assert MIRAGE_PROMPTS.closed_book(q.query) == messages, q.query_id


def test_batched_generation_equals_one_at_a_time(tiny_causal_lm_dir):
    """Left padding must not change a greedy answer: batch of mixed lengths == each alone."""
    generator = HFGenerator(str(tiny_causal_lm_dir), batch_size=3, max_new_tokens=6)
    conversations = [MIRAGE_PROMPTS.closed_book(q) for q in
                     ("what is the capital of norway", "who was king", "the river in the city of paris france")]
    batched = generator.generate(conversations)
    generator.batch_size = 1
    assert batched == generator.generate(conversations)
    assert len(batched) == 3


RAG_CASES = [
    ("What is the capital city of Norway?", ["Oslo is the capital and most populous city of Norway."], "oslo"),
    ("In which year did the Berlin Wall fall?",
     ["The Berlin Wall fell on 9 November 1989, opening the border between East and West Germany."], "1989"),
    ("Who wrote the novel Pride and Prejudice?",
     ["Pride and Prejudice is an 1813 novel by the English author Jane Austen."], "austen"),
]


@pytest.mark.bundled
def test_smollm2_answers_a_rag_prompt():
    generator = HFGenerator("smollm2", batch_size=3, max_new_tokens=24)
    answers = generator.generate([MIRAGE_PROMPTS.with_context(q, ctx) for q, ctx, _ in RAG_CASES])
    for (question, _, expected), answer in zip(RAG_CASES, answers, strict=True):
        assert expected in answer.lower(), (question, answer)
