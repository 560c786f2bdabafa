from rag.generator import HFGenerator
from rag.pipeline import RAGPipeline
from retrieval.bm25 import BM25Retriever
from retrieval.types import Document, Query

DOCS = [Document("d1", "oslo is the capital city of norway"), Document("d2", "paris is the capital of france"),
        Document("d3", "music and film and science")]


def test_pipeline_prompts_with_the_top_k_chunks_in_rank_order(tiny_causal_lm_dir):
    generator = HFGenerator(str(tiny_causal_lm_dir), max_new_tokens=3)
    pipeline = RAGPipeline(BM25Retriever(tokenizer="whitespace").add(DOCS), generator, DOCS, k=2)
    queries = [Query("q1", "capital of norway"), Query("q2", "film music")]
    answers, run = pipeline.answer(queries)
    assert len(answers) == 2 and run["q1"][0].doc_id == "d1"
    user = pipeline.conversations(queries, run)[0][1]["content"]
    assert user.startswith("Question : capital of norway\n\nContext : 1. oslo is the capital city of norway2. ")
    assert user.count(". ") == 2 and user.endswith("\n\nAnswer :\n")
