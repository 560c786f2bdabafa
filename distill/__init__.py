"""Cross-encoder knowledge distillation into bi-encoder students (see DESIGN.md)."""
