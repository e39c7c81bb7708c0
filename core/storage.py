"""Static files storage for production."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's compressed, hashed storage, also rewriting the relative imports between ES modules
    (static/js/inspection/) to the hashed names, so a module never loads a stale copy of another."""

    support_js_module_import_aggregation = True
