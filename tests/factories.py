"""factory_boy factories for records the demo bank does not already provide."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from devices.models import Device


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@harbourbank.example")
    password = factory.django.Password("correct horse battery staple")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    name = factory.Sequence(lambda n: f"test-device-{n}")
    kind = Device.Kind.KIOSK


def publish_article(
    page_class: type,
    *,
    language: str = "zh-hans",
    collection: str = "customer-service",
    audience: str = "public",
    **fields: object,
):  # noqa: ANN201
    """Create and publish a knowledge page under the language's index, like an editor would."""
    from content.models import KnowledgeCollection, KnowledgeIndexPage

    index = KnowledgeIndexPage.objects.get(locale__language_code=language)
    page = page_class(
        collection=KnowledgeCollection.objects.get(slug=collection), audience=audience, **fields
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page
