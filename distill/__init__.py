"""Cross-encoder knowledge distillation into bi-encoder students (see DESIGN.md).

Jang et al., "Beyond Hard Negatives: The Importance of Score Distribution in Knowledge Distillation for Dense
Retrieval" (SIGIR 2026): a cross-encoder teacher scores each query's candidates; a sampler (top-K, random, or
stratified over the teacher-score range) picks what the student trains on; a KD loss (listwise KL, MarginMSE)
moves the student's scores toward the teacher's. Heavy modules (torch, sentence-transformers) load on first use.
"""

from .sampling import (
                       CandidatePool,
                       RandomSampler,
                       Sample,
                       SampleStatistics,
                       StratifiedSampler,
                       TopKSampler,
                       sample_statistics,
)

__all__ = ["CandidatePool", "RandomSampler", "Sample", "SampleStatistics", "StratifiedSampler", "TopKSampler",
           "sample_statistics"]
