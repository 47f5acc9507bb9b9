"""Django admin of the content app: the video studio (the knowledge pages live in Wagtail)."""

from content.studio import admin as studio_admin  # noqa: F401 - registers the studio's admins
