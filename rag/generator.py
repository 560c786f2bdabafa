"""The Generator protocol and its Hugging Face implementation (batched, left-padded, greedy by default)."""

from __future__ import annotations

from typing import Protocol

from tqdm import tqdm

Messages = list[dict]
MIRAGE_SAMPLING = {"do_sample": True, "temperature": 0.1, "top_p": 0.1}  # MIRAGE's published setting


class Generator(Protocol):
    name: str

    def generate(self, conversations: list[Messages], **sampling) -> list[str]: ...


class HFGenerator:
    """A causal LM from the model registry; ``generate`` takes chat message lists, returns answers."""

    def __init__(self, name: str = "HuggingFaceTB/SmolLM2-135M-Instruct", device: str | None = None,
                 batch_size: int = 8, max_new_tokens: int = 32):
        from retrieval.models import load_causal_lm, spec_for

        spec = spec_for(name)
        self.name = spec.name if spec else name
        self.model, self.tokenizer = load_causal_lm(name, device=device)
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens

    def generate(self, conversations: list[Messages], show_progress_bar: bool = False, **sampling) -> list[str]:
        import torch

        options = {"max_new_tokens": self.max_new_tokens, "do_sample": False, **sampling}
        if not options["do_sample"]:  # greedy: sampling knobs would only draw warnings
            for knob in ("temperature", "top_p"):
                options.pop(knob, None)
        answers: list[str] = []
        batches = range(0, len(conversations), self.batch_size)
        for start in tqdm(batches, desc="generate", disable=not show_progress_bar):
            prompts = [self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                       for c in conversations[start:start + self.batch_size]]
            inputs = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
            inputs = inputs.to(self.model.device)
            with torch.inference_mode():
                output = self.model.generate(**inputs, pad_token_id=self.tokenizer.pad_token_id, **options)
            new_tokens = output[:, inputs["input_ids"].shape[1]:]
            answers += [text.strip() for text in self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]
        return answers
