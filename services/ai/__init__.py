"""AI layer: one provider interface (base.py), schemas (schemas.py), providers local and openai."""
