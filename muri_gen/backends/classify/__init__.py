"""Content classifiers (see muri_gen.backends.BACKENDS["classifier"]): P(unsafe) per text for content_screen."""
