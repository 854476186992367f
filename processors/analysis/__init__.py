"""Per-article analysis (stateless): clean, language, sentences, dates, entities, mentions."""
