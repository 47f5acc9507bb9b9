"""Knowledge pages name their card by its catalogue code, not by a key into scenarios' table.

The code is copied from the linked card before the key goes, in the pages and in their saved
revisions (a revision published later must keep its card).
"""

from django.db import migrations, models


def codes_from_keys(apps, schema_editor):  # noqa: ANN001, ANN201
    CardProduct = apps.get_model("scenarios", "CardProduct")
    KnowledgeArticle = apps.get_model("content", "KnowledgeArticle")
    Revision = apps.get_model("wagtailcore", "Revision")
    code_by_id = dict(CardProduct.objects.values_list("pk", "code"))
    for article in KnowledgeArticle.objects.exclude(product_id=None).only("pk", "product_id"):
        KnowledgeArticle.objects.filter(pk=article.pk).update(
            product_code=code_by_id.get(article.product_id, "")
        )
    revisions = Revision.objects.filter(
        content_type__app_label="content", content__has_key="product"
    )
    for revision in revisions.iterator():
        content = dict(revision.content)
        content["product_code"] = code_by_id.get(content.pop("product"), "")
        Revision.objects.filter(pk=revision.pk).update(content=content)


def keys_from_codes(apps, schema_editor):  # noqa: ANN001, ANN201
    CardProduct = apps.get_model("scenarios", "CardProduct")
    KnowledgeArticle = apps.get_model("content", "KnowledgeArticle")
    Revision = apps.get_model("wagtailcore", "Revision")
    id_by_code = {code: pk for pk, code in CardProduct.objects.values_list("pk", "code")}
    for article in KnowledgeArticle.objects.exclude(product_code="").only("pk", "product_code"):
        KnowledgeArticle.objects.filter(pk=article.pk).update(
            product_id=id_by_code.get(article.product_code)
        )
    revisions = Revision.objects.filter(
        content_type__app_label="content", content__has_key="product_code"
    )
    for revision in revisions.iterator():
        content = dict(revision.content)
        content["product"] = id_by_code.get(content.pop("product_code"))
        Revision.objects.filter(pk=revision.pk).update(content=content)


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0005_studio_templates_and_schedule"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.AddField(
            model_name="knowledgearticle",
            name="product_code",
            field=models.CharField(
                blank=True, default="", max_length=40, verbose_name="card product"
            ),
        ),
        migrations.RunPython(codes_from_keys, keys_from_codes),
        migrations.RemoveField(model_name="knowledgearticle", name="product"),
    ]
