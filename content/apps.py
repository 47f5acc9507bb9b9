from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "content"
    verbose_name = _("Knowledge")

    def ready(self) -> None:
        # Imported here, not at module level: models are not loaded when the AppConfig is.
        from bank_ai.ai.hooks import register_answer_listener
        from bank_ai.ai.knowledge import register_knowledge_source
        from content.knowledge import ArticleKnowledgeSource
        from content.services import record_answer_hits

        # Every audited answer counts a hit on each page it cited (see content.selectors).
        register_answer_listener(record_answer_hits)
        # The AI core indexes and cites knowledge pages through this, never importing content.
        register_knowledge_source(ArticleKnowledgeSource())
